import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** RADIUS clients (radius/clients/): FOUNDATION STUB, filled by the clients part. */
export const radius: Migration = {
  async up(_db: Kysely<unknown>) {},
};
