import type { ServerContext } from "../../app/server-context.ts";
import type { Site } from "./site.ts";

/**
 * The operator's kill switch as it stands now, read from the database (another process or the
 * CLI may have flipped it since the job started). A built-in site has no switch; a stored site
 * that was removed meanwhile is off.
 */
/** The message of a job whose site is no longer offered to its tenant (removed, or the Sandbox Bank gone). */
export const NOT_OFFERED = "the site is not offered by this server";
export const SWITCHED_OFF = "the site is switched off by the operator";

export async function siteStillOn(ctx: ServerContext, site: Site): Promise<boolean> {
  if (site.sandbox) return site.enabled;
  const row = await ctx.database.db
    .selectFrom("link_sites")
    .select("enabled")
    .where("id", "=", site.id)
    .executeTakeFirst();
  return row?.enabled === 1;
}
