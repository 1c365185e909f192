import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The shared attempt limiter (attempts/attempt-limiter.ts): consecutive failures since the last
 * success for accounts and tokens, lock escalation for tokens, and the tenant's permanent limit.
 */
export const attemptLimits: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("tenants")
      .addColumn("max_consecutive_failures", "integer", (c) => c.notNull().defaultTo(100))
      .execute();
    await db.schema
      .alterTable("users")
      .addColumn("consecutive_failures", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable("authenticators")
      .addColumn("lock_count", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable("authenticators")
      .addColumn("consecutive_failures", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
