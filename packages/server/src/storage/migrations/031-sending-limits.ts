import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** FOUNDATION STUB: anti-pumping settings (issue 14, anti-pumping part) fills this in. */
export const sendingLimits: Migration = {
  async up(_db: Kysely<unknown>) {},
};
