import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { Schema } from "../../storage/schema.ts";
import { sandboxSites } from "../sites/sandbox-sites.ts";
import type { Site } from "../sites/site.ts";

/**
 * Per-site concurrency across every server process: a site has maxConcurrency slot rows, and a
 * job runs only while it holds one. A slot is taken by compare-and-set and carries a lease, so a
 * killed process's slot frees itself.
 */
export async function ensureSiteSlots(
  db: Kysely<Schema>,
  sites: readonly Pick<Site, "id" | "maxConcurrency">[] = sandboxSites,
): Promise<void> {
  // One statement per site: a site has at most 1000 slots (4000 parameters), well within the
  // parameter limits of SQLite and PostgreSQL, however many sites there are.
  for (const site of sites) {
    const rows = Array.from({ length: site.maxConcurrency }, (_, slot) => ({
      site_id: site.id,
      slot,
      job_id: null,
      lease_expires_at: null,
    }));
    if (rows.length === 0) continue;
    await db
      .insertInto("link_site_slots")
      .values(rows)
      .onConflict((oc) => oc.columns(["site_id", "slot"]).doNothing())
      .execute();
  }
}

/**
 * Stored sites with fewer slot rows than their limit (a restore, a write cut short), given theirs
 * back at start. One grouped query, whatever the number of sites: start-up does not rewrite the
 * slots of every site, and never reads their CA bundles.
 */
export async function restoreMissingSlots(db: Kysely<Schema>): Promise<void> {
  const short = await db
    .selectFrom("link_sites")
    .leftJoin("link_site_slots", (join) =>
      join
        .onRef("link_site_slots.site_id", "=", "link_sites.id")
        .onRef("link_site_slots.slot", "<", "link_sites.max_concurrency"),
    )
    .select(["link_sites.id as id", "link_sites.max_concurrency as maxConcurrency"])
    .groupBy(["link_sites.id", "link_sites.max_concurrency"])
    .having((eb) => eb(eb.fn.count("link_site_slots.slot"), "<", eb.ref("link_sites.max_concurrency")))
    .execute();
  await ensureSiteSlots(db, short);
}

/**
 * Takes one of the site's first `maxConcurrency` slots. Rows beyond it (left by a site whose limit
 * was lowered) are never taken again, so a lower limit holds as soon as their jobs end.
 */
export async function takeSiteSlot(
  db: Kysely<Schema>,
  site: Pick<Site, "id" | "maxConcurrency">,
  jobId: string,
  now: number,
  leaseMs: number,
): Promise<number | undefined> {
  const siteId = site.id;
  const free = await db
    .selectFrom("link_site_slots")
    .select("slot")
    .where("site_id", "=", siteId)
    .where("slot", "<", site.maxConcurrency)
    .where((eb) => eb.or([eb("job_id", "is", null), eb("lease_expires_at", "<", now)]))
    .limit(4)
    .execute();
  for (const { slot } of free) {
    const taken = await db
      .updateTable("link_site_slots")
      .set({ job_id: jobId, lease_expires_at: now + leaseMs })
      .where("site_id", "=", siteId)
      .where("slot", "=", slot)
      .where((eb) => eb.or([eb("job_id", "is", null), eb("lease_expires_at", "<", now)]))
      .executeTakeFirst();
    if (taken.numUpdatedRows === 1n) return slot;
  }
  return undefined;
}

export async function renewSiteSlot(
  db: Kysely<Schema>,
  siteId: string,
  slot: number,
  jobId: string,
  until: number,
) {
  await db
    .updateTable("link_site_slots")
    .set({ lease_expires_at: until })
    .where("site_id", "=", siteId)
    .where("slot", "=", slot)
    .where("job_id", "=", jobId)
    .execute();
}

export async function releaseSiteSlot(db: Kysely<Schema>, siteId: string, slot: number, jobId: string) {
  await db
    .updateTable("link_site_slots")
    .set({ job_id: null, lease_expires_at: null })
    .where("site_id", "=", siteId)
    .where("slot", "=", slot)
    .where("job_id", "=", jobId)
    .execute();
}

/**
 * The limit of the job's site, in SQL: the built-in sites' from code, the stored sites' column.
 * NULL for a site that is neither (removed meanwhile).
 */
function siteLimit(sandbox: readonly Site[]) {
  const stored = sql<number>`(select max_concurrency from link_sites where link_sites.id = link_jobs.site_id)`;
  if (sandbox.length === 0) return stored;
  const cases = sandbox.map(
    (site) => sql`when link_jobs.site_id = ${site.id} then ${sql.lit(site.maxConcurrency)}`,
  );
  return sql<number>`case ${sql.join(cases, sql` `)} else ${stored} end`;
}

/** The job's site has a free slot (one of its first maxConcurrency, as takeSiteSlot takes). */
export function withFreeSlot(
  eb: ExpressionBuilder<Schema, "link_jobs">,
  now: number,
  sandbox: readonly Site[],
) {
  return eb.exists(
    eb
      .selectFrom("link_site_slots")
      .select(sql`1`.as("free"))
      .whereRef("link_site_slots.site_id", "=", "link_jobs.site_id")
      .where("link_site_slots.slot", "<", siteLimit(sandbox))
      .where((slots) =>
        slots.or([
          slots("link_site_slots.job_id", "is", null),
          slots("link_site_slots.lease_expires_at", "<", now),
        ]),
      ),
  );
}

/** The job's site is neither built in nor stored: it takes no slot (its run ends the job). */
export function unknownSite(eb: ExpressionBuilder<Schema, "link_jobs">, sandbox: readonly Site[]) {
  const stored = eb.not(
    eb.exists(
      eb
        .selectFrom("link_sites")
        .select(sql`1`.as("site"))
        .whereRef("link_sites.id", "=", "link_jobs.site_id"),
    ),
  );
  if (sandbox.length === 0) return stored;
  return eb.and([
    stored,
    eb(
      "link_jobs.site_id",
      "not in",
      sandbox.map((site) => site.id),
    ),
  ]);
}
