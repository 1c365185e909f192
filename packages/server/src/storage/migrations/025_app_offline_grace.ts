import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * How many hours a program of the app may keep working offline after the server last confirmed
 * its sign-in (sso/apps/, the `tessera_offline_until` claim of its ID tokens); 0: never offline.
 * Existing apps get the default, 72, like a new one.
 */
export const appOfflineGrace: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("sso_apps")
      .addColumn("offline_grace_hours", "integer", (c) => c.notNull().defaultTo(72))
      .execute();
  },
};
