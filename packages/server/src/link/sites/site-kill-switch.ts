import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { Site } from "./site.ts";

/**
 * The operator's kill switch (a site's `enabled`), in its two places: the API refuses new work for
 * a switched-off site (refuseDisabledSite), and the worker re-reads the switch while a job runs
 * (siteStillOn), stopping with SWITCHED_OFF.
 */

/**
 * The kill switch at the API: a disabled site takes no new connection and no sync. (Jobs already
 * running are stopped by the worker.) The refusal names the site, so an integrator can tell "this
 * bank is switched off" from "this credential is wrong".
 */
export function refuseDisabledSite(site: Site): void {
  if (site.enabled) return;
  throw new TesseraError(TesseraApiCode.SiteDisabled, {
    message: `site ${site.id} is switched off by the operator; it takes no connection or sync until it is enabled again`,
  });
}

/** Why the worker stopped a job whose site was switched off while it ran. */
export const SWITCHED_OFF = "the site is switched off by the operator";

/** Why a job ended whose site is no longer offered to its tenant (removed, or the Sandbox Bank gone). */
export const NOT_OFFERED = "the site is not offered by this server";

/**
 * The kill switch as it stands now, read from the database (another process or the CLI may have
 * flipped it since the job started). A built-in site has no switch; a stored site that was removed
 * meanwhile is off.
 */
export async function siteStillOn(ctx: ServerContext, site: Site): Promise<boolean> {
  if (site.sandbox) return site.enabled;
  const row = await ctx.database.db
    .selectFrom("link_sites")
    .select("enabled")
    .where("id", "=", site.id)
    .executeTakeFirst();
  return row?.enabled === 1;
}
