import type { ServerContext } from "../../app/server-context.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import type { Site } from "./site.ts";
import { storedSite, storedSitesPage } from "./site-store.ts";

/**
 * The sites a tenant may use: the operator's shared ones, its own, and the Sandbox Bank's while a
 * Sandbox Bank is reachable. Another tenant's site does not exist for this tenant: its id gives
 * the same answer as an unknown one.
 */
const offeredSandboxSites = (ctx: ServerContext) => (ctx.link.sandboxUrl === undefined ? [] : sandboxSites);

export async function findSite(ctx: ServerContext, tenantId: string, id: string): Promise<Site | undefined> {
  return offeredTo(await anySite(ctx, id), tenantId);
}

/** The site if the tenant may use it (shared, or its own), else undefined. */
export const offeredTo = (site: Site | undefined, tenantId: string): Site | undefined =>
  site === undefined || site.tenantId === null || site.tenantId === tenantId ? site : undefined;

/**
 * Up to `limit` sites the tenant may use, by id after `after`: the stored ones paged in the
 * database (their CA bundles not read: `tls: {}` says a site has one), the few built-in ones here.
 */
export async function listSites(
  ctx: ServerContext,
  tenantId: string,
  after: string | undefined,
  limit: number,
): Promise<readonly Site[]> {
  const stored = await storedSitesPage(ctx.database.db, tenantId, after, limit);
  const builtIn = offeredSandboxSites(ctx).filter((site) => after === undefined || site.id > after);
  return [...builtIn, ...stored].toSorted((a, b) => (a.id < b.id ? -1 : 1)).slice(0, limit);
}

/**
 * The site a job of `tenantId` runs against, checked again for every run: a site id freed (its
 * site deleted) can be taken by another tenant, and a job must never send its credential's login
 * to that tenant's server. Undefined (the job ends: the site is not offered) unless the site is
 * shared or the job's tenant's own.
 */
export async function siteForJob(
  ctx: ServerContext,
  id: string,
  tenantId: string,
): Promise<Site | undefined> {
  return findSite(ctx, tenantId, id);
}

/** The site with this id, whoever's it is: for the operator's commands only. */
export async function anySite(ctx: ServerContext, id: string): Promise<Site | undefined> {
  return offeredSandboxSites(ctx).find((site) => site.id === id) ?? (await storedSite(ctx.database.db, id));
}
