import { CredentialStatus } from "@tessera/codes";
import type { Transaction } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { LinkCredentialsTable, Schema } from "../../storage/schema.ts";
import {
  type Connector,
  type ConnectorContext,
  ConnectorFailure,
  type LoginResult,
} from "../connectors/connector.ts";
import { connectorFor } from "../connectors/registry.ts";
import { siteIoOf } from "../connectors/site-http.ts";
import { withLoginField } from "../credentials/validate-fields.ts";
import { setBalance, upsertAccount, upsertTransactions } from "../data/upsert-data.ts";
import { credentialFields, jobAnswer, jobSession, openJson, sealJson } from "../link-secrets.ts";
import { siteForJob } from "../sites/site-directory.ts";
import { NOT_OFFERED, SWITCHED_OFF } from "../sites/site-kill-switch.ts";
import { type JobLease, LeaseLost } from "./job-lease.ts";
import { finished, type JobRow, type TimelineEntry, transition } from "./job-store.ts";
import { RequestGuard, SiteSwitchedOff } from "./request-guard.ts";
import { retryDelayMs } from "./retry-policy.ts";

/**
 * Runs one claimed job from its stored step until it waits, ends, or is queued again (a retry, a
 * background continuation). Every state change is a transition guarded by the run's claim (owner
 * and epoch), every data write (accounts, transactions, synced_until) a transaction that first
 * renews the lease by compare-and-set on that claim, and every site request is preceded by such a
 * renewal (context.beforeRequest) and, once connected, a check of the lease on this process's
 * clock right before the first byte (context.beforeSend, request-guard.ts). Once the lease is
 * lost (job-lease.ts), the connector's signal is aborted and the run stops without touching the
 * job, its data or the site again.
 */
/** The process is shutting down: the job goes back to the queue for any process to resume. */
class RunInterrupted extends Error {}

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type Credential = LinkCredentialsTable;
interface Run {
  readonly ctx: ServerContext;
  readonly job: JobRow;
  readonly lease: JobLease;
  readonly guard: RequestGuard;
  readonly stopping: AbortSignal;
  readonly context: ConnectorContext & { signal: AbortSignal };
}

export async function runJob(
  ctx: ServerContext,
  job: JobRow,
  lease: JobLease,
  stopping: AbortSignal,
): Promise<void> {
  const { db } = ctx.database;
  const site = await siteForJob(ctx, job.site_id, job.tenant_id);
  const credential = await db
    .selectFrom("link_credentials")
    .selectAll()
    .where("id", "=", job.credential_id)
    .executeTakeFirst();
  const now = ctx.clock.now();
  if (credential === undefined) return; // deleted meanwhile: its jobs went with it
  const baseUrl = site === undefined ? undefined : ctx.link.siteUrl(site);
  if (site === undefined || baseUrl === undefined) {
    await transition(
      db,
      job.id,
      { phase: "running", claim: lease.claim },
      finished(now),
      [{ code: CredentialStatus.Error, detail: { message: NOT_OFFERED } }],
      now,
    );
    ctx.link.notify(job.id);
    return;
  }
  const guard = new RequestGuard(ctx, lease, site);
  const run: Run = {
    ctx,
    job,
    lease,
    guard,
    stopping,
    context: {
      site,
      baseUrl,
      signal: AbortSignal.any([stopping, lease.signal]),
      // The one door to the site (site-http.ts) asks first: no request once the lease is lost
      // or the site switched off, and no byte once the lease lapsed during lookup or connect.
      beforeRequest: guard.beforeRequest,
      beforeSend: guard.beforeSend,
      // Fields stored by an earlier release may still call the login `username`.
      fields: withLoginField(
        site,
        openJson(ctx.keys, credentialFields, credential.id, credential.fields_enc),
      ),
      session: job.session_enc === null ? {} : openJson(ctx.keys, jobSession, job.id, job.session_enc),
      io: siteIoOf(ctx.config.link),
    },
  };
  try {
    await proceed(run, credential, connectorFor(site.connector));
  } catch (error) {
    // Whatever the connector threw once the lease was lost (an aborted request) is not this run's
    // to report: the job belongs to another claim now.
    if (error instanceof LeaseLost || lease.lost) return;
    if (error instanceof SiteSwitchedOff) {
      const entry = { code: CredentialStatus.Unavailable, detail: { message: SWITCHED_OFF } };
      await apply(run, finished(ctx.clock.now()), [entry]).catch((e: unknown) => {
        if (!(e instanceof LeaseLost)) throw e;
      });
      return;
    }
    if (error instanceof RunInterrupted || stopping.aborted) {
      await apply(
        run,
        { phase: "queued", lease_owner: null, lease_expires_at: null, run_after: ctx.clock.now() },
        [],
      ).catch(() => {});
      return;
    }
    await fail(run, error);
  }
}

async function apply(run: Run, set: Partial<JobRow>, entries: readonly TimelineEntry[]): Promise<void> {
  run.lease.assertHeld();
  const applied = await transition(
    run.ctx.database.db,
    run.job.id,
    { phase: "running", claim: run.lease.claim },
    set,
    entries,
    run.ctx.clock.now(),
  );
  run.ctx.link.notify(run.job.id);
  if (!applied) throw run.lease.lose("a transition was refused: the job is no longer this run's");
  if (set.phase !== undefined && set.phase !== "running") run.lease.release();
}

/**
 * Writes a sync's data in one transaction that first renews the lease by compare-and-set on the
 * claim. A runner whose process stalled past its lease while another claim took the job over (and
 * perhaps ended it), even a later claim of this same process, writes nothing: its statement may
 * be older than the one stored meanwhile, and the job is no longer its own. While the transaction
 * holds the job row, no other process can take the job over.
 */
async function leased<T>(run: Run, write: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
  let until = 0;
  const result = await run.ctx.database.db.transaction().execute(async (trx) => {
    until = await run.lease.renewIn(trx);
    return write(trx);
  });
  run.lease.granted(until);
  return result;
}

/**
 * One connector call under the connector timeout; shutdown and a lost lease interrupt it. The
 * site's kill switch is read before each call (and again by the requests of a call, at most
 * once a second: request-guard.ts), so a site switched off mid-job gets no further request.
 */
async function step<T>(run: Run, call: () => Promise<T>): Promise<T> {
  run.lease.assertHeld();
  if (!(await run.guard.siteOn())) throw new SiteSwitchedOff();
  const timeout = AbortSignal.timeout(run.ctx.config.link.connectorTimeoutMs);
  const signal = AbortSignal.any([run.stopping, run.lease.signal, timeout]);
  run.context.signal = signal;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        run.lease.lost
          ? run.lease.signal.reason
          : run.stopping.aborted
            ? new RunInterrupted()
            : new ConnectorFailure(CredentialStatus.ConnectionTimeout, "the site did not answer in time"),
      );
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([call(), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

const sealSession = (run: Run) => sealJson(run.ctx.keys, jobSession, run.job.id, run.context.session);

async function proceed(run: Run, credential: Credential, connector: Connector): Promise<void> {
  const { ctx, job } = run;
  let result: LoginResult | undefined;
  if (job.step === "login") {
    await apply(run, {}, [{ code: CredentialStatus.Starting }]);
    result = await step(run, () => connector.login(run.context));
  } else if (job.step === "answer") {
    const answers =
      job.answer_enc === null
        ? {}
        : openJson<Record<string, string>>(ctx.keys, jobAnswer, job.id, job.answer_enc);
    result = await step(run, () => connector.answer(run.context, answers));
  }
  if (result?.kind === "twofa") {
    const expiresAt = ctx.clock.now() + ctx.config.link.twofaTimeoutSeconds * 1000;
    await apply(
      run,
      {
        phase: "waiting",
        lease_owner: null,
        lease_expires_at: null,
        question: JSON.stringify(result.fields),
        question_expires_at: expiresAt,
        session_enc: sealSession(run),
        answer_enc: null,
      },
      [
        {
          code: CredentialStatus.Waiting,
          detail: { twofa: result.fields, expiresAt: new Date(expiresAt).toISOString() },
        },
      ],
    );
    return;
  }
  if (result?.kind === "ok")
    await apply(run, { step: "fetch", session_enc: sealSession(run), answer_enc: null }, [
      { code: CredentialStatus.Running },
    ]);
  await download(run, credential, connector);
}

async function download(run: Run, credential: Credential, connector: Connector): Promise<void> {
  const { ctx, job } = run;
  const now = ctx.clock.now();
  const since = isoDay(
    credential.synced_until === null
      ? now - ctx.config.link.historyDays * DAY
      : credential.synced_until - 7 * DAY,
  );
  const accounts = await step(run, () => connector.listAccounts(run.context));
  let unreadable = 0;
  let partial = 0;
  let loading = 0;
  let seen = 0;
  let added = 0;
  let updated = 0;
  for (const account of accounts) {
    const batch = await step(run, () => connector.listTransactions(run.context, account, since));
    const counts = await leased(run, async (trx) => {
      const accountId = await upsertAccount(trx, credential, account, now);
      if (batch.coverage === "unreadable") return undefined;
      if (batch.balance !== undefined) await setBalance(trx, accountId, batch.balance, now);
      return upsertTransactions(trx, credential.tenant_id, accountId, batch.transactions, now);
    });
    if (counts === undefined) {
      unreadable += 1;
      continue;
    }
    seen += batch.transactions.length;
    added += counts.added;
    updated += counts.updated;
    if (batch.coverage === "partial") partial += 1;
    if (batch.history === "loading") loading += 1;
  }
  const detail = { accounts: accounts.length, transactions: seen, added, updated };
  if (loading > 0 && unreadable === 0 && job.step !== "continue") {
    await apply(
      run,
      {
        phase: "queued",
        step: "continue",
        run_after: ctx.clock.now(),
        lease_owner: null,
        lease_expires_at: null,
        session_enc: sealSession(run),
      },
      [{ code: CredentialStatus.Pending, detail }],
    );
    return;
  }
  const code =
    accounts.length === 0
      ? CredentialStatus.NoAccounts
      : unreadable > 0
        ? CredentialStatus.Incomplete
        : partial > 0 || loading > 0
          ? CredentialStatus.PartialTransactions
          : seen === 0
            ? CredentialStatus.NoTransactions
            : CredentialStatus.Finish;
  // Before the job ends, not after: once a job is done, nothing of it is still being written.
  await leased(run, (trx) =>
    trx.updateTable("link_credentials").set({ synced_until: now }).where("id", "=", credential.id).execute(),
  );
  await apply(run, finished(ctx.clock.now()), [{ code, detail }]);
}

async function fail(run: Run, error: unknown): Promise<void> {
  const { ctx, job } = run;
  const known = error instanceof ConnectorFailure;
  const status = known ? error.status : CredentialStatus.Error;
  // Only the class and message: connector errors never carry the credential's fields.
  if (!known)
    ctx.link.log.error({ jobId: job.id, error: (error as Error)?.name }, "connector failed unexpectedly");
  const message = known ? error.message : "the connector failed unexpectedly";
  // A configuration error (the site's, an operator's to fix) fails every attempt alike: no retry.
  const delay =
    known && error.permanent
      ? undefined
      : retryDelayMs(status, job.attempt, known ? error.retryAfterMs : undefined);
  const now = ctx.clock.now();
  try {
    if (delay !== undefined && job.attempt < ctx.config.link.maxAttempts) {
      const retryAt = now + delay;
      await apply(
        run,
        {
          phase: "queued",
          step: "login",
          attempt: job.attempt + 1,
          run_after: retryAt,
          lease_owner: null,
          lease_expires_at: null,
          session_enc: null,
          answer_enc: null,
        },
        [
          { code: status, detail: { message } },
          {
            code: CredentialStatus.PendingRetry,
            detail: { retryAt: new Date(retryAt).toISOString(), attempt: job.attempt + 1, reason: status },
          },
        ],
      );
    } else {
      await apply(run, finished(now), [{ code: status, detail: { message } }]);
    }
  } catch (lost) {
    if (!(lost instanceof LeaseLost)) throw lost;
  }
}
