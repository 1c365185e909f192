import { CredentialStatus } from "@tessera/codes";
import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { Schema } from "../../storage/schema.ts";
import type { Site } from "../sites/site.ts";
import { type Claim, finished, type JobRow, transition } from "./job-store.ts";
import { unknownSite, withFreeSlot } from "./site-slots.ts";

/**
 * Takes a runnable job with a lease: a queued job whose time has come, or a running job whose
 * lease lapsed (its process died). Compare-and-set: of several processes, one wins. Taking over
 * a lapsed job counts as an attempt, so a job that keeps killing its process ends instead of
 * looping. Every claim increments the job's epoch: the returned row's (lease_owner, lease_epoch)
 * is the claim every write of this run checks, so no earlier run (of any process, this one
 * included) can write once the job is claimed again.
 */
/** Queued and due, or running under a lease that lapsed. */
const runnable = (now: number) => (eb: ExpressionBuilder<Schema, "link_jobs">) =>
  eb.or([
    eb.and([eb("phase", "=", "queued"), eb("run_after", "<=", now)]),
    eb.and([eb("phase", "=", "running"), eb("lease_expires_at", "<", now)]),
  ]);

export async function claimJob(
  db: Kysely<Schema>,
  jobId: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<JobRow | undefined> {
  const job = await db
    .updateTable("link_jobs")
    .set({
      phase: "running",
      lease_owner: owner,
      lease_expires_at: now + leaseMs,
      lease_epoch: sql<number>`lease_epoch + 1`,
      attempt: sql<number>`case when phase = 'running' then attempt + 1 else attempt end`,
    })
    .where("id", "=", jobId)
    .where(runnable(now))
    .returningAll()
    .executeTakeFirst();
  // The tenant was served now: of otherwise equal due jobs, other tenants' come first (runnableJobs).
  if (job !== undefined)
    await db
      .insertInto("link_tenant_claims")
      .values({ tenant_id: job.tenant_id, last_claimed_at: now })
      .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ last_claimed_at: now }))
      .execute();
  return job;
}

/**
 * Runnable jobs worth a claim now: only those whose site has a free slot (or whose site is gone:
 * their run ends them without one), so the jobs of a site at its limit never fill the list and
 * hold back other sites' jobs (head-of-line blocking). Fair between tenants, in turns: each
 * tenant's oldest job first, then each one's second oldest, and so on; within a turn the least
 * recently served tenant first, then the oldest job. So a tenant's backlog (a thousand queued
 * jobs) delays another tenant's job by one of its own at most, also on a shared site that frees
 * one slot at a time, where age alone would put the whole older backlog first.
 * `seen`: jobs this round already looked at.
 */
export async function runnableJobs(
  db: Kysely<Schema>,
  now: number,
  options: { limit: number; sandbox: readonly Site[]; seen: readonly string[] },
) {
  let query = db
    .selectFrom("link_jobs")
    .leftJoin("link_tenant_claims", "link_tenant_claims.tenant_id", "link_jobs.tenant_id")
    .select([
      "link_jobs.id",
      "link_jobs.site_id",
      "link_jobs.tenant_id",
      sql<number>`row_number() over (partition by link_jobs.tenant_id order by link_jobs.run_after, link_jobs.id)`.as(
        "turn",
      ),
      sql<number>`coalesce(link_tenant_claims.last_claimed_at, 0)`.as("served"),
    ])
    .where(runnable(now))
    .where((eb) => eb.or([withFreeSlot(eb, now, options.sandbox), unknownSite(eb, options.sandbox)]));
  if (options.seen.length > 0) query = query.where("link_jobs.id", "not in", options.seen);
  return query
    .orderBy(sql`turn`)
    .orderBy(sql`served`)
    .orderBy("link_jobs.run_after")
    .orderBy("link_jobs.id")
    .limit(options.limit)
    .execute();
}

/** Compare-and-set on the claim (phase running, owner, epoch): false once the job is not this claim's. */
export async function renewLease(
  db: Kysely<Schema>,
  jobId: string,
  claim: Claim,
  until: number,
): Promise<boolean> {
  const result = await db
    .updateTable("link_jobs")
    .set({ lease_expires_at: until })
    .where("id", "=", jobId)
    .where("phase", "=", "running")
    .where("lease_owner", "=", claim.owner)
    .where("lease_epoch", "=", claim.epoch)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** The claim a freshly claimed row carries. */
export function claimOf(job: JobRow): Claim {
  return { owner: job.lease_owner ?? "", epoch: job.lease_epoch };
}

/** A job taken over more often than attempts allow ends with Error instead of running again. */
export async function endExhausted(db: Kysely<Schema>, job: JobRow, now: number): Promise<void> {
  await transition(
    db,
    job.id,
    { phase: "running", claim: claimOf(job) },
    finished(now),
    [{ code: CredentialStatus.Error, detail: { message: "the job was interrupted too many times" } }],
    now,
  );
}

/** Ends the job with TwofaTimeout if its question expired and nobody answered meanwhile. */
export async function expireQuestion(db: Kysely<Schema>, jobId: string, now: number): Promise<boolean> {
  return transition(
    db,
    jobId,
    { phase: "waiting", before: { column: "question_expires_at", at: now } },
    finished(now),
    [
      {
        code: CredentialStatus.TwofaTimeout,
        detail: { message: "no answer arrived before the question expired" },
      },
    ],
    now,
  );
}

/** Questions nobody answered in time end their job with TwofaTimeout. */
export async function expireQuestions(db: Kysely<Schema>, now: number): Promise<string[]> {
  const due = await db
    .selectFrom("link_jobs")
    .select("id")
    .where("phase", "=", "waiting")
    .where("question_expires_at", "<=", now)
    .limit(200)
    .execute();
  const ended: string[] = [];
  for (const { id } of due) if (await expireQuestion(db, id, now)) ended.push(id);
  return ended;
}
