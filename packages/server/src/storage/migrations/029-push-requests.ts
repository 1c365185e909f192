import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Sign-in push limits (push/sign-in-*.ts): the tenant's request lifetime, pending cap, hourly cap
 * and cool-down after a rejection, and the per-user record of when an administrator last cleared
 * a fraud lock. A lock itself is not stored: it is any request of the user reported as fraud
 * after that time (approval_requests.fraud_reported), so the answer that reports fraud and the
 * lock cannot disagree, whichever part wrote the answer.
 */
export const pushRequests: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("tenants")
      .addColumn("push_request_ttl_seconds", "integer", (c) => c.notNull().defaultTo(120))
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("push_max_pending", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("push_max_per_hour", "integer", (c) => c.notNull().defaultTo(10))
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("push_cooldown_seconds", "integer", (c) => c.notNull().defaultTo(60))
      .execute();
    await db.schema
      .createTable("push_fraud_clearances")
      .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("cleared_at", "bigint", (c) => c.notNull())
      .execute();
    // The fraud-lock lookup: a user's reported requests, newest answer first.
    await db.schema
      .createIndex("approval_requests_fraud_by_user")
      .on("approval_requests")
      .columns(["user_id", "fraud_reported", "answered_at"])
      .execute();
  },
};
