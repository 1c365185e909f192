import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** FOUNDATION STUB: sign-in push limits (issue 14, push sign-in part) fills this in. */
export const pushRequests: Migration = {
  async up(_db: Kysely<unknown>) {},
};
