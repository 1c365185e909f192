import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** FOUNDATION STUB: message templates (issue 14, transports part) fills this in. */
export const messageTemplates: Migration = {
  async up(_db: Kysely<unknown>) {},
};
