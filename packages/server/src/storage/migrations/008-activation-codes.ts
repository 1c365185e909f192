import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * How many codes a tenant's new tokens are activated with: 1 (the default: a person with a phone
 * types the code the app shows) or 2 consecutive codes (the stricter check some tenants keep).
 * Existing tenants get the default as well: one valid code already proves the seed reached the device.
 */
export const activationCodes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("tenants")
      .addColumn("activation_codes", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
  },
};
