import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Approval requests sent to a push device (approvals/): sign-in pushes with a number to match and
 * transaction-signing requests with their details. `status` leaves `pending` once, by a
 * compare-and-set (approval-store.ts); `expires_at` bounds every request.
 */
export const approvalRequests: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("approval_requests")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("reference", "text", (c) => c.notNull().unique())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("authenticator_id", "text", (c) =>
        c.notNull().references("authenticators.id").onDelete("cascade"),
      )
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("context", "text", (c) => c.notNull())
      .addColumn("details", "text")
      .addColumn("number_to_match", "integer")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("fraud_reported", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("approval_code", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("answered_at", "bigint")
      .execute();
    await db.schema
      .createIndex("approval_requests_by_device")
      .on("approval_requests")
      .columns(["authenticator_id", "status", "expires_at"])
      .execute();
    await db.schema
      .createIndex("approval_requests_by_user")
      .on("approval_requests")
      .columns(["user_id", "created_at"])
      .execute();
  },
};
