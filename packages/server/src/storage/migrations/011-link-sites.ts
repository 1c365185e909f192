import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Sites added by operators (link/sites/site-store.ts). Ids are one namespace across tenants, so a
 * job's or a credential's site_id names one site. tenant_id NULL: the operator's shared site,
 * every tenant sees it; otherwise only that tenant does (and only it may change it). fields,
 * options and maintenance are JSON text; tls_ca is PEM.
 */
export const linkSites: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("link_sites")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.references("tenants.id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("organisation", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("connector", "text", (c) => c.notNull())
      .addColumn("url", "text", (c) => c.notNull())
      .addColumn("fields", "text", (c) => c.notNull())
      .addColumn("options", "text", (c) => c.notNull())
      .addColumn("max_concurrency", "integer", (c) => c.notNull())
      .addColumn("enabled", "integer", (c) => c.notNull())
      .addColumn("maintenance", "text", (c) => c.notNull())
      .addColumn("tls_ca", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("link_sites_by_tenant")
      .on("link_sites")
      .columns(["tenant_id", "id"])
      .execute();
  },
};
