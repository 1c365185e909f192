import { CredentialStatus } from "@tessera/codes";
import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { Schema } from "../../storage/schema.ts";
import { type Claim, finished, type JobRow, transition } from "./job-store.ts";

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
  return db
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
}

export async function runnableJobs(db: Kysely<Schema>, now: number, limit: number) {
  return db
    .selectFrom("link_jobs")
    .select(["id", "site_id", "tenant_id"])
    .where(runnable(now))
    .orderBy("run_after")
    .limit(limit)
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
