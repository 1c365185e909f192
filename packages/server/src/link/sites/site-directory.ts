import type { ServerContext } from "../../app/server-context.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import type { Site } from "./site.ts";
import { storedSite, storedSites } from "./site-store.ts";

/**
 * The sites a tenant may use: the operator's shared ones, its own, and the Sandbox Bank's while a
 * Sandbox Bank is reachable. Another tenant's site does not exist for this tenant: its id gives
 * the same answer as an unknown one.
 */
const offeredSandboxSites = (ctx: ServerContext) => (ctx.link.sandboxUrl === undefined ? [] : sandboxSites);

export async function findSite(ctx: ServerContext, tenantId: string, id: string): Promise<Site | undefined> {
  const site = await siteForJob(ctx, id);
  return site === undefined || site.tenantId === null || site.tenantId === tenantId ? site : undefined;
}

/** Every site the tenant may use, by id. */
export async function listSites(ctx: ServerContext, tenantId: string): Promise<readonly Site[]> {
  const stored = await storedSites(ctx.database.db, tenantId);
  return [...offeredSandboxSites(ctx), ...stored].toSorted((a, b) => (a.id < b.id ? -1 : 1));
}

/** The site a job runs against, whoever's it is (the job's tenant was checked when it was created). */
export async function siteForJob(ctx: ServerContext, id: string): Promise<Site | undefined> {
  return offeredSandboxSites(ctx).find((site) => site.id === id) ?? (await storedSite(ctx.database.db, id));
}
