import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * API-key scopes, and the per-source counters of refused unauthenticated requests. Keys created
 * before scopes existed could do everything, so they become `admin`: an upgrade changes no
 * tenant's access; operators narrow them by issuing scoped keys.
 */
export const accessControl: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("api_keys")
      .addColumn("scopes", "text", (c) => c.notNull().defaultTo("admin"))
      .execute();
    await db.schema
      .createTable("refused_requests")
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("window_started_at", "bigint", (c) => c.notNull())
      .addColumn("count", "integer", (c) => c.notNull())
      .addColumn("last_code", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("refused_requests_pk", ["source", "window_started_at"])
      .execute();
  },
};
