import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * How many codes a tenant's tokens are activated with: 1 (a person with a phone types the code
 * the app shows) or 2 consecutive codes (the stricter check). New tenants get 1. Tenants that
 * exist when this runs keep 2, the only behaviour they knew: their integrations send
 * `{otp1, otp2}`, and an upgrade must change nobody's behaviour.
 *
 * This migration was edited after it first reached main (it then moved every tenant to 1): it had
 * never been released, so no installation outside development ran the earlier version.
 */
export const activationCodes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("tenants")
      .addColumn("activation_codes", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
    // Every row here existed before the column did; the migration runs in one transaction.
    await sql`UPDATE tenants SET activation_codes = 2`.execute(db);
  },
};
