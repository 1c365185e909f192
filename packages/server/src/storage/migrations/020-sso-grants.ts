import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * When a device code was last polled at the token endpoint (sso/grants/device-polling.ts): a
 * poll sooner than the interval after the last one counted is answered slow_down (RFC 8628), in
 * the database so that the pace holds whichever server process the device reaches.
 */
export const ssoGrants: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("sso_models").addColumn("polled_at", "bigint").execute();
  },
};
