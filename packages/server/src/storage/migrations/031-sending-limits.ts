import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Anti-pumping (out-of-band/pumping/): the countries a tenant lets codes be sent to by SMS or
 * voice, a JSON array of ISO 3166-1 alpha-2 codes. Empty by default, so no phone destination is
 * reachable until an administrator allows countries (fail closed). The send counters themselves
 * live in the existing rate_limits table.
 */
export const sendingLimits: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("tenants")
      .addColumn("challenge_countries", "text", (c) => c.notNull().defaultTo("[]"))
      .execute();
  },
};
