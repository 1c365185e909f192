import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import { activeJobOf, createJob, type JobRow } from "../jobs/job-store.ts";
import { siteForJob } from "../sites/site-directory.ts";
import { refuseDisabledSite } from "../sites/site-kill-switch.ts";
import type { CredentialRow } from "./credential-store.ts";

/** Starts a sync job for the credential, or answers with the job already under way. */
export async function startSync(
  ctx: ServerContext,
  credential: CredentialRow,
  options: { coolDown: boolean; reply?: FastifyReply },
): Promise<{ job: JobRow; started: boolean }> {
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const active = await activeJobOf(db, credential.id);
  if (active !== undefined) return { job: active, started: false };
  // A site gone since (or a Sandbox Bank not reachable now) is the job's to report, as before.
  const site = await siteForJob(ctx, credential.site_id, credential.tenant_id);
  if (site !== undefined) refuseDisabledSite(site);
  const coolDownMs = ctx.config.link.syncCooldownSeconds * 1000;
  if (options.coolDown && credential.last_sync_at !== null && now < credential.last_sync_at + coolDownMs) {
    const retryAfter = Math.ceil((credential.last_sync_at + coolDownMs - now) / 1000);
    options.reply?.header("retry-after", String(retryAfter));
    throw new TesseraError(TesseraApiCode.SyncCoolingDown, {
      message: `credential ${credential.id} was synced recently; try again in ${retryAfter} s`,
    });
  }
  const job = await createJob(db, {
    tenantId: credential.tenant_id,
    credentialId: credential.id,
    siteId: credential.site_id,
    now,
  });
  if (job === undefined) {
    const winner = await activeJobOf(db, credential.id);
    if (winner !== undefined) return { job: winner, started: false };
    throw new TesseraError(TesseraApiCode.SyncInProgress, {
      message: "another sync of this credential just started",
    });
  }
  ctx.link.nudge();
  return { job, started: true };
}
