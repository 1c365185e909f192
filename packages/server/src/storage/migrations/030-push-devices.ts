import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** FOUNDATION STUB: push device enrolment (issue 14, push app part) fills this in. */
export const pushDevices: Migration = {
  async up(_db: Kysely<unknown>) {},
};
