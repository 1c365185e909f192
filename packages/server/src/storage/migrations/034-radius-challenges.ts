import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** RADIUS challenge state and answered-packet cache (radius/listener/): FOUNDATION STUB, filled by the listener part. */
export const radiusChallenges: Migration = {
  async up(_db: Kysely<unknown>) {},
};
