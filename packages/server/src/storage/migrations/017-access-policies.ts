import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Access policies (policies/): at most one tenant-wide policy per tenant (scope_key "") and at
 * most one per app (scope_key = the app's client id, which also references sso_apps so deleting
 * the app deletes its policy). The rules are one JSON document; they are only ever read whole.
 *
 * access_policy_sign_ins counts each user's sign-ins per policy and local day for the daily
 * allowance: one atomic upsert per sign-in, so the limit holds across server processes.
 */
export const accessPolicies: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("access_policies")
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("scope_key", "text", (c) => c.notNull())
      .addColumn("client_id", "text", (c) => c.references("sso_apps.client_id").onDelete("cascade"))
      .addColumn("rules", "text", (c) => c.notNull())
      .addColumn("on_error", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("access_policies_pk", ["tenant_id", "scope_key"])
      .execute();

    await db.schema
      .createTable("access_policy_sign_ins")
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("scope_key", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("day", "text", (c) => c.notNull())
      .addColumn("count", "integer", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("access_policy_sign_ins_pk", ["tenant_id", "scope_key", "user_id", "day"])
      .execute();
    // Housekeeping deletes counters two days after their last count (sweep-policy-sign-ins.ts).
    await db.schema
      .createIndex("access_policy_sign_ins_by_update")
      .on("access_policy_sign_ins")
      .column("updated_at")
      .execute();
  },
};
