import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Approval requests sent to a push device (approvals/): sign-in pushes with a number to match and
 * transaction-signing requests with their details. `status` leaves `pending` once, by a
 * compare-and-set (approval-store.ts); `expires_at` bounds every request. A reference is unique
 * within its tenant, not across tenants: a tenant may choose its own (an order number), and one
 * tenant must neither learn that another used a reference nor take it away from them.
 */
export const approvalRequests: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("approval_requests")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("reference", "text", (c) => c.notNull())
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
      .addUniqueConstraint("approval_requests_tenant_reference", ["tenant_id", "reference"])
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
