import { randomUUID } from "node:crypto";
import { CredentialStatus } from "@tessera/codes";
import { type Kysely, sql, type Transaction } from "kysely";
import type { LinkJobsTable, Schema } from "../../storage/schema.ts";
import { enqueueWebhookEvents } from "../webhooks/webhook-outbox.ts";

/**
 * Stored job state. Every change is one transaction: a compare-and-set on the job row (its phase
 * and, while running, the claim: lease owner and epoch), the new timeline entries, the
 * credential's status and the webhook outbox. Two runs can never both apply a transition, not even
 * two runs of one process (see job-machine.md).
 */
export type JobRow = LinkJobsTable;
export type Phase = "queued" | "running" | "waiting" | "done";
export type Step = "login" | "answer" | "fetch" | "continue";

export interface TimelineEntry {
  readonly code: CredentialStatus;
  readonly detail?: Readonly<Record<string, unknown>>;
}

type Db = Kysely<Schema> | Transaction<Schema>;
/** Who holds a running job: the worker that claimed it, and which of its claims (job-lease.ts). */
export interface Claim {
  readonly owner: string;
  readonly epoch: number;
}
type Guard = {
  phase: Phase;
  claim?: Claim;
  before?: { column: "run_after" | "question_expires_at"; at: number };
};

export async function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  return db.selectFrom("link_jobs").selectAll().where("id", "=", id).executeTakeFirst();
}

/** A new job for the credential, or undefined when the credential already has an unfinished one. */
export async function createJob(
  db: Kysely<Schema>,
  input: { tenantId: string; credentialId: string; siteId: string; now: number },
): Promise<JobRow | undefined> {
  const row: JobRow = {
    id: randomUUID(),
    tenant_id: input.tenantId,
    credential_id: input.credentialId,
    site_id: input.siteId,
    phase: "queued",
    step: "login",
    status: CredentialStatus.Register,
    attempt: 1,
    run_after: input.now,
    lease_owner: null,
    lease_expires_at: null,
    lease_epoch: 0,
    active_credential_id: input.credentialId,
    session_enc: null,
    question: null,
    question_expires_at: null,
    answer_enc: null,
    event_seq: 1,
    created_at: input.now,
    updated_at: input.now,
    finished_at: null,
  };
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("link_jobs").values(row).execute();
      await trx
        .insertInto("link_job_events")
        .values({ job_id: row.id, seq: 1, code: CredentialStatus.Register, at: input.now, detail: null })
        .execute();
      await trx
        .updateTable("link_credentials")
        .set({
          last_job_id: row.id,
          last_sync_at: input.now,
          status: CredentialStatus.Register,
          updated_at: input.now,
        })
        .where("id", "=", input.credentialId)
        .execute();
    });
    return row;
  } catch (error) {
    // The unique index on active_credential_id: another request or process started one first.
    if ((await activeJobOf(db, input.credentialId)) !== undefined) return undefined;
    throw error;
  }
}

export async function activeJobOf(db: Db, credentialId: string): Promise<JobRow | undefined> {
  return db
    .selectFrom("link_jobs")
    .selectAll()
    .where("active_credential_id", "=", credentialId)
    .executeTakeFirst();
}

/**
 * Applies a transition if the job is still in the guarded state; false when another actor got
 * there first. Entries are appended to the timeline in order; `set` may end the job.
 */
export async function transition(
  db: Kysely<Schema>,
  jobId: string,
  guard: Guard,
  set: Partial<Omit<JobRow, "id" | "event_seq" | "status">>,
  entries: readonly TimelineEntry[],
  now: number,
): Promise<boolean> {
  const last = entries[entries.length - 1];
  return db.transaction().execute(async (trx) => {
    let update = trx
      .updateTable("link_jobs")
      .set({
        ...set,
        ...(last === undefined ? {} : { status: last.code }),
        event_seq: sql<number>`event_seq + ${entries.length}`,
        updated_at: now,
      })
      .where("id", "=", jobId)
      .where("phase", "=", guard.phase);
    if (guard.claim !== undefined)
      update = update
        .where("lease_owner", "=", guard.claim.owner)
        .where("lease_epoch", "=", guard.claim.epoch);
    if (guard.before !== undefined) update = update.where(guard.before.column, "<=", guard.before.at);
    const updated = await update.returning(["event_seq", "credential_id", "tenant_id"]).executeTakeFirst();
    if (updated === undefined) return false;
    if (last === undefined) return true;
    const first = Number(updated.event_seq) - entries.length + 1;
    await trx
      .insertInto("link_job_events")
      .values(
        entries.map((entry, i) => ({
          job_id: jobId,
          seq: first + i,
          code: entry.code,
          at: now,
          detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
        })),
      )
      .execute();
    await trx
      .updateTable("link_credentials")
      .set({ status: last.code, updated_at: now })
      .where("id", "=", updated.credential_id)
      .where("last_job_id", "=", jobId)
      .execute();
    await enqueueWebhookEvents(trx, updated.tenant_id, jobId, updated.credential_id, entries, now);
    return true;
  });
}

/** The fields that end a job: nothing of its secrets outlives it. */
export function finished(now: number): Partial<JobRow> {
  return {
    phase: "done",
    finished_at: now,
    active_credential_id: null,
    lease_owner: null,
    lease_expires_at: null,
    session_enc: null,
    answer_enc: null,
    question: null,
    question_expires_at: null,
  };
}

export interface StoredEntry {
  readonly seq: number;
  readonly code: number;
  readonly at: number;
  readonly detail: Record<string, unknown> | null;
}

export async function timeline(db: Db, jobId: string, afterSeq = 0): Promise<StoredEntry[]> {
  const rows = await db
    .selectFrom("link_job_events")
    .select(["seq", "code", "at", "detail"])
    .where("job_id", "=", jobId)
    .where("seq", ">", afterSeq)
    .orderBy("seq")
    .execute();
  return rows.map((r) => ({
    ...r,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
  }));
}

/**
 * A page of a tenant's jobs, newest first, optionally of one credential: `limit` rows after the
 * job keyed `after` ([created_at, id]). Jobs created in the same millisecond are ordered by id,
 * so the order is total and a page boundary never splits or repeats them.
 */
export async function listJobs(
  db: Db,
  tenantId: string,
  page: { credentialId?: string | undefined; after?: readonly [number, string] | undefined; limit: number },
): Promise<JobRow[]> {
  let query = db.selectFrom("link_jobs").selectAll().where("tenant_id", "=", tenantId);
  if (page.credentialId !== undefined) query = query.where("credential_id", "=", page.credentialId);
  const after = page.after;
  if (after !== undefined)
    query = query.where(({ eb, refTuple, tuple }) =>
      eb(refTuple("created_at", "id"), "<", tuple(after[0], after[1])),
    );
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(page.limit).execute();
}
