import type { Kysely } from "kysely";
import type { LinkSitesTable, Schema } from "../../storage/schema.ts";
import type { Site } from "./site.ts";

/**
 * Stored (operator-added) sites. Ids are unique across tenants (the primary key), so a job's
 * site_id names one site; which tenant may see or change a site is `tenant_id` (NULL: shared).
 */
export function siteFromRow(row: LinkSitesTable): Site {
  return {
    id: row.id,
    name: row.name,
    organisation: row.organisation,
    kind: row.kind,
    connector: row.connector,
    fields: JSON.parse(row.fields) as Site["fields"],
    sandbox: false,
    tenantId: row.tenant_id,
    url: row.url,
    maxConcurrency: row.max_concurrency,
    enabled: row.enabled === 1,
    maintenance: JSON.parse(row.maintenance) as Site["maintenance"],
    ...(row.tls_ca === null ? {} : { tls: { ca: row.tls_ca } }),
    options: JSON.parse(row.options) as Record<string, string>,
  };
}

function rowFromSite(site: Site): Omit<LinkSitesTable, "created_at" | "updated_at"> {
  return {
    id: site.id,
    tenant_id: site.tenantId,
    name: site.name,
    organisation: site.organisation,
    kind: site.kind,
    connector: site.connector,
    url: site.url,
    fields: JSON.stringify(site.fields),
    options: JSON.stringify(site.options ?? {}),
    max_concurrency: site.maxConcurrency,
    enabled: site.enabled ? 1 : 0,
    maintenance: JSON.stringify(site.maintenance),
    tls_ca: site.tls?.ca ?? null,
  };
}

/** Adds the site; false when the id is taken (by any tenant: ids are one namespace). */
export async function insertSite(db: Kysely<Schema>, site: Site, now: number): Promise<boolean> {
  const result = await db
    .insertInto("link_sites")
    .values({ ...rowFromSite(site), created_at: now, updated_at: now })
    .onConflict((oc) => oc.column("id").doNothing())
    .executeTakeFirst();
  return result.numInsertedOrUpdatedRows === 1n;
}

/** Replaces the stored site with the same id and owner; false when there is none. */
export async function replaceSite(db: Kysely<Schema>, site: Site, now: number): Promise<boolean> {
  const { id, tenant_id, ...rest } = rowFromSite(site);
  const result = await db
    .updateTable("link_sites")
    .set({ ...rest, updated_at: now })
    .where("id", "=", id)
    .where((eb) => (tenant_id === null ? eb("tenant_id", "is", null) : eb("tenant_id", "=", tenant_id)))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Deletes the site with this id and owner; false when there is none. */
export async function deleteSite(db: Kysely<Schema>, id: string, tenantId: string | null): Promise<boolean> {
  const result = await db
    .deleteFrom("link_sites")
    .where("id", "=", id)
    .where((eb) => (tenantId === null ? eb("tenant_id", "is", null) : eb("tenant_id", "=", tenantId)))
    .executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** The shared sites and the tenant's own (all stored sites for `undefined`: the operator's view). */
export async function storedSites(db: Kysely<Schema>, tenantId: string | undefined): Promise<Site[]> {
  let query = db.selectFrom("link_sites").selectAll().orderBy("id");
  if (tenantId !== undefined)
    query = query.where((eb) => eb.or([eb("tenant_id", "is", null), eb("tenant_id", "=", tenantId)]));
  return (await query.execute()).map(siteFromRow);
}

/**
 * One page of the sites a tenant may use, in id order after `after`, in the database: a list
 * never reads the CA bundles (up to 64 KiB each), only whether a site has one (`tls: {}`).
 */
export async function storedSitesPage(
  db: Kysely<Schema>,
  tenantId: string,
  after: string | undefined,
  limit: number,
): Promise<Site[]> {
  const rows = await db
    .selectFrom("link_sites")
    .select([
      "id",
      "tenant_id",
      "name",
      "organisation",
      "kind",
      "connector",
      "url",
      "fields",
      "options",
      "max_concurrency",
      "enabled",
      "maintenance",
      "created_at",
      "updated_at",
    ])
    .select((eb) => eb.case().when("tls_ca", "is", null).then(0).else(1).end().as("has_ca"))
    .where((eb) => eb.or([eb("tenant_id", "is", null), eb("tenant_id", "=", tenantId)]))
    .$if(after !== undefined, (query) => query.where("id", ">", after ?? ""))
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(({ has_ca, ...row }) => {
    const { tls: _tls, ...site } = siteFromRow({ ...row, tls_ca: null });
    return Number(has_ca) === 1 ? { ...site, tls: {} } : site;
  });
}

/** One stored site by id, whoever's it is. */
export async function storedSite(db: Kysely<Schema>, id: string): Promise<Site | undefined> {
  const row = await db.selectFrom("link_sites").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? undefined : siteFromRow(row);
}
