import type { ServerContext } from "../../app/server-context.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import type { Site } from "./site.ts";

/**
 * The sites a tenant may use: its own, the operator's shared ones, and the Sandbox Bank's while a
 * Sandbox Bank is reachable. Another tenant's site does not exist for this tenant (its id gives
 * the same answer as an unknown one).
 */
export async function findSite(ctx: ServerContext, tenantId: string, id: string): Promise<Site | undefined> {
  return (await listSites(ctx, tenantId)).find((site) => site.id === id);
}

/** Every site the tenant may use, by id. */
export async function listSites(ctx: ServerContext, tenantId: string): Promise<readonly Site[]> {
  void tenantId;
  return ctx.link.sandboxUrl === undefined ? [] : sandboxSites;
}

/** The site a job runs against, whoever's it is (a job's tenant was checked when it was created). */
export async function siteForJob(ctx: ServerContext, id: string): Promise<Site | undefined> {
  return ctx.link.sandboxUrl === undefined ? undefined : sandboxSites.find((site) => site.id === id);
}
