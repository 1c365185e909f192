import { CredentialStatus } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { maintenanceEnd } from "../sites/maintenance-window.ts";
import type { Site } from "../sites/site.ts";
import { SWITCHED_OFF } from "../sites/site-kill-switch.ts";
import { findJob, finished, transition } from "./job-store.ts";

/**
 * The operator's controls, applied by the worker before it takes a slot for a job:
 * - a switched-off site's due job ends at once with 501 Unavailable (not retried: the switch may
 *   stay off for weeks, and an unfinished job would block the credential's next sync);
 * - a job due inside a maintenance window goes back to the queue until the window ends, with
 *   509 then 205 (retryAt: the end) written once, as its run_after moves past now; it spends no
 *   attempt and sends nothing to the site.
 * True when the job must not be claimed now. Only a due queued job is changed (compare-and-set);
 * a running job whose process died is left alone inside a window and claimed after it.
 * `ends`: the maintenance ends a round already worked out, per site, so a round works out each
 * site's windows once however many of its jobs it looks at.
 */
export async function holdBackForSite(
  ctx: ServerContext,
  jobId: string,
  site: Site,
  now: number,
  ends = new Map<string, number | undefined>(),
): Promise<boolean> {
  const { db } = ctx.database;
  const due = { phase: "queued" as const, before: { column: "run_after" as const, at: now } };
  if (!site.enabled) {
    const ended = await transition(
      db,
      jobId,
      due,
      finished(now),
      [{ code: CredentialStatus.Unavailable, detail: { message: SWITCHED_OFF } }],
      now,
    );
    if (ended) ctx.link.notify(jobId);
    // A running job of a switched-off site is claimed, and its run stops before its first step.
    return ended;
  }
  if (!ends.has(site.id)) ends.set(site.id, maintenanceEnd(site.maintenance, now));
  const end = ends.get(site.id);
  if (end === undefined) return false;
  const job = await findJob(db, jobId);
  if (job === undefined) return true;
  const retryAt = new Date(end).toISOString();
  const deferred = await transition(
    db,
    jobId,
    due,
    { run_after: end },
    [
      {
        code: CredentialStatus.UndergoingMaintenance,
        detail: { message: "the site is in a maintenance window", retryAt },
      },
      {
        code: CredentialStatus.PendingRetry,
        detail: { retryAt, attempt: job.attempt, reason: CredentialStatus.UndergoingMaintenance },
      },
    ],
    now,
  );
  if (deferred) ctx.link.notify(jobId);
  return true;
}
