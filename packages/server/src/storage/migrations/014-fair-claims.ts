import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * When each tenant's job was last claimed (link/jobs/claim-job.ts): of due jobs otherwise equal,
 * the least recently served tenant's comes first, so a tenant whose backlog keeps a shared site
 * busy takes turns with the others instead of going first by age. One row per tenant that ever
 * had a job claimed; it goes with the tenant.
 */
export const fairClaims: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("link_tenant_claims")
      .addColumn("tenant_id", "text", (c) => c.primaryKey().references("tenants.id").onDelete("cascade"))
      .addColumn("last_claimed_at", "bigint", (c) => c.notNull())
      .execute();
  },
};
