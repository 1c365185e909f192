import { CredentialStatus } from "@tessera/codes";
import type { Transaction } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { Schema } from "../../storage/schema.ts";
import { type ConnectorContext, ConnectorFailure } from "../connectors/connector.ts";
import { jobSession, sealJson } from "../link-secrets.ts";
import type { JobLease } from "./job-lease.ts";
import { type JobRow, type TimelineEntry, transition } from "./job-store.ts";
import { type RequestGuard, SiteSwitchedOff } from "./request-guard.ts";

/**
 * One run of a claimed job (run-job.ts) and the only ways it touches the job, its data and the
 * site: `apply` (a transition guarded by the run's claim), `leased` (a data write in a transaction
 * that first renews the lease by compare-and-set) and `step` (a connector call under the timeout,
 * the kill switch and the lease).
 */
/** The process is shutting down: the job goes back to the queue for any process to resume. */
export class RunInterrupted extends Error {}

export interface Run {
  readonly ctx: ServerContext;
  readonly job: JobRow;
  readonly lease: JobLease;
  readonly guard: RequestGuard;
  readonly stopping: AbortSignal;
  readonly context: ConnectorContext & { signal: AbortSignal };
}

export async function apply(
  run: Run,
  set: Partial<JobRow>,
  entries: readonly TimelineEntry[],
): Promise<void> {
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
export async function leased<T>(run: Run, write: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
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
export async function step<T>(run: Run, call: () => Promise<T>): Promise<T> {
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

export const sealSession = (run: Run) => sealJson(run.ctx.keys, jobSession, run.job.id, run.context.session);
