import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** FOUNDATION STUB: out-of-band challenges (issue 14, challenge-devices part) fills this in. */
export const challengeCodes: Migration = {
  async up(_db: Kysely<unknown>) {},
};
