import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Transaction } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { Schema } from "../../storage/schema.ts";
import { requireRoomInTenant } from "../../tenants/tenant-cap.ts";
import { ensureSiteSlots } from "../jobs/site-slots.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import type { Site } from "./site.ts";
import { changedSite, siteFromInput } from "./site-from-input.ts";
import type { NewSiteInput, SiteChangesInput } from "./site-input.ts";
import { deleteSite, insertSite, replaceSite, siteFromRow } from "./site-store.ts";
import { siteUrlProblem } from "./site-url-policy.ts";

/**
 * Adding, changing and removing stored sites, for the API and the CLI alike (both validated the
 * input with site-input.ts's schemas first). Who may change which site is the caller's decision;
 * these functions check what holds for everyone: the address policy, the one id namespace, and
 * that a site in use is not deleted from under its credentials.
 */
function requireAllowedUrl(ctx: ServerContext, url: string, field: string): void {
  const problem = siteUrlProblem(url, ctx.config.link.siteAllowPrivateNetworks);
  if (problem !== undefined)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `${field} is refused: ${problem}.`,
      field,
    });
}

/**
 * A tenant's own sites are capped (link.maxSitesPerTenant): each holds slot rows and is listed on
 * every page; counted and inserted in one transaction (tenants/tenant-cap.ts).
 */
async function requireRoomForSite(ctx: ServerContext, trx: Transaction<Schema>, tenantId: string) {
  const max = ctx.config.link.maxSitesPerTenant;
  await requireRoomInTenant(
    ctx,
    trx,
    { table: "link_sites", tenantId, max },
    () =>
      new TesseraError(TesseraApiCode.SiteLimitReached, {
        message: `the tenant already has ${max} sites, the most allowed (link.maxSitesPerTenant); delete one first`,
      }),
  );
}

/** Adds the site; SiteIdTaken when any site (any tenant's, or a built-in one) has the id. */
export async function addSite(
  ctx: ServerContext,
  input: NewSiteInput,
  tenantId: string | null,
  field = (name: string) => `body.${name}`,
): Promise<Site> {
  requireAllowedUrl(ctx, input.url, field("url"));
  const site = siteFromInput(input, tenantId);
  const inserted =
    !sandboxSites.some((s) => s.id === site.id) &&
    (await ctx.database.db.transaction().execute(async (trx) => {
      if (tenantId !== null) await requireRoomForSite(ctx, trx, tenantId);
      if (!(await insertSite(trx, site, ctx.clock.now()))) return false;
      // In the same transaction: a site without slot rows would never have a job claimed.
      await ensureSiteSlots(trx, [site]);
      return true;
    }));
  // The same answer whoever holds the id: it says the id is taken, never by whom.
  if (!inserted)
    throw new TesseraError(TesseraApiCode.SiteIdTaken, {
      message: `the site id ${input.id} is taken; choose another`,
      field: field("id"),
    });
  return site;
}

/**
 * Applies the changes to the stored site under a row lock (PostgreSQL; SQLite runs one write at a
 * time), so two concurrent changes of different fields both hold. Undefined when the site is gone.
 */
export async function updateSite(
  ctx: ServerContext,
  current: Site,
  changes: SiteChangesInput,
  field = (name: string) => `body.${name}`,
): Promise<Site | undefined> {
  if (changes.url !== undefined) requireAllowedUrl(ctx, changes.url, field("url"));
  const { db } = ctx.database;
  const updated = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("link_sites")
      .selectAll()
      .where("id", "=", current.id)
      .$if(ctx.database.dialect === "postgres", (query) => query.forUpdate())
      .executeTakeFirst();
    if (row === undefined || row.tenant_id !== current.tenantId) return undefined;
    const site = changedSite(siteFromRow(row), changes);
    if (!(await replaceSite(trx, site, ctx.clock.now()))) return undefined;
    // A higher limit needs its slot rows; a lower one holds at once (takeSiteSlot skips the rest).
    await ensureSiteSlots(trx, [site]);
    return site;
  });
  return updated;
}

/**
 * Deletes the site and its slots; SiteInUse while credentials use it (they would be orphaned, and
 * the freed id could then be taken by another tenant). The site row is locked before counting
 * (PostgreSQL; SQLite runs one write transaction at a time), and saveCredential locks it too
 * (FOR SHARE) before inserting, so a credential is either counted here or refused there.
 */
export async function removeSite(ctx: ServerContext, site: Site): Promise<boolean> {
  return ctx.database.db.transaction().execute(async (trx) => {
    await trx
      .selectFrom("link_sites")
      .select("id")
      .where("id", "=", site.id)
      .$if(ctx.database.dialect === "postgres", (query) => query.forUpdate())
      .execute();
    const { count } = await trx
      .selectFrom("link_credentials")
      .select((eb) => eb.fn.countAll<number | string | bigint>().as("count"))
      .where("site_id", "=", site.id)
      .executeTakeFirstOrThrow();
    if (Number(count) > 0)
      throw new TesseraError(TesseraApiCode.SiteInUse, {
        message: `site ${site.id} has ${Number(count)} credential${Number(count) === 1 ? "" : "s"}; delete them first (DELETE /v1/link/credentials/{id}; GET /v1/link/credentials?site=${site.id} lists them), or switch the site off (enabled: false) instead`,
      });
    if (!(await deleteSite(trx, site.id, site.tenantId))) return false;
    await trx.deleteFrom("link_site_slots").where("site_id", "=", site.id).execute();
    return true;
  });
}
