import { CredentialStatus } from "@tessera/codes";
import { ConnectorFailure } from "../connectors/connector.ts";
import { LeaseLost } from "./job-lease.ts";
import { apply, type Run } from "./job-run.ts";
import { finished } from "./job-store.ts";
import { retryDelayMs } from "./retry-policy.ts";

/**
 * A run that failed: retried later with backoff (205 PendingRetry) while attempts are left and
 * the failure can pass, else the job ends with it.
 */
export async function fail(run: Run, error: unknown): Promise<void> {
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
