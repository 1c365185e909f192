import { CredentialStatus } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { connectorFor } from "../connectors/registry.ts";
import { siteIoOf } from "../connectors/site-http.ts";
import { withLoginField } from "../credentials/validate-fields.ts";
import { credentialFields, jobSession, openJson } from "../link-secrets.ts";
import { siteForJob } from "../sites/site-directory.ts";
import { NOT_OFFERED, SWITCHED_OFF } from "../sites/site-kill-switch.ts";
import { type JobLease, LeaseLost } from "./job-lease.ts";
import { apply, type Run, RunInterrupted } from "./job-run.ts";
import { finished, type JobRow, transition } from "./job-store.ts";
import { RequestGuard, SiteSwitchedOff } from "./request-guard.ts";
import { fail } from "./run-failure.ts";
import { proceed } from "./sync-steps.ts";

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
