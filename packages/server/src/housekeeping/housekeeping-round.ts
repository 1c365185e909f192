import { performance } from "node:perf_hooks";
import type { ServerContext } from "../app/server-context.ts";
import { approvalRequestsSweep } from "../approvals/sweep-approval-requests.ts";
import { webauthnCeremoniesSweep } from "../authenticators/webauthn/sweep-ceremonies.ts";
import { challengeCodesSweep } from "../out-of-band/challenges/sweep-challenge-codes.ts";
import { pushEnrolmentsSweep } from "../push/sweep-push-enrolments.ts";
import { radiusAnswersSweep, radiusChallengesSweep } from "../radius/listener/sweep-radius.ts";
import { reportRefusedRequests } from "../rate-limits/refused-requests.ts";
import { activationsSweep } from "../sso/activation/sweep-activations.ts";
import { MAX_BATCHES, type Sweep } from "./batches.ts";
import { idempotencyKeysSweep } from "./sweep-idempotency-keys.ts";
import { linkJobsSweep } from "./sweep-link-jobs.ts";
import { policySignInsSweep } from "./sweep-policy-sign-ins.ts";
import { rateLimitsSweep, sourceFailuresSweep } from "./sweep-rate-limit-windows.ts";
import { recoveriesSweep } from "./sweep-recoveries.ts";
import { sessionsSweep } from "./sweep-sessions.ts";
import { ssoModelsSweep } from "./sweep-sso-models.ts";
import { ssoSignInsSweep } from "./sweep-sso-sign-ins.ts";
import { webhookDeliveriesSweep } from "./sweep-webhook-deliveries.ts";

const sweeps: readonly Sweep[] = [
  sessionsSweep,
  recoveriesSweep,
  idempotencyKeysSweep,
  rateLimitsSweep,
  sourceFailuresSweep,
  linkJobsSweep,
  webhookDeliveriesSweep,
  activationsSweep,
  ssoModelsSweep,
  policySignInsSweep,
  ssoSignInsSweep,
  challengeCodesSweep,
  pushEnrolmentsSweep,
  approvalRequestsSweep,
  webauthnCeremoniesSweep,
  radiusAnswersSweep,
  radiusChallengesSweep,
];

const REFUSED_REQUESTS = "refused_requests";
/** The `kind` labels of the metrics: what a round deletes, and every step that can fail. */
export const housekeepingKinds = {
  deleted: sweeps.map((sweep) => sweep.kind),
  failures: [...sweeps.map((sweep) => sweep.kind), REFUSED_REQUESTS],
} as const;

export interface RoundResult {
  /** Rows deleted per kind. */
  readonly deleted: Readonly<Record<string, number>>;
  /** Kinds whose step failed (each logged and counted). */
  readonly failed: readonly string[];
}

/**
 * One housekeeping round: every kind of expired data, in bounded batches, then the audit summary
 * of refused requests. A failing kind (the database briefly gone, a lock timeout) is logged and
 * counted, and the others still run; the next round retries it. Every step deletes only what is
 * due and counts only what it deleted, so rounds in several processes at once are harmless.
 */
export async function runHousekeepingRound(ctx: ServerContext, now: number): Promise<RoundResult> {
  const { metrics, log } = ctx.housekeeping;
  const budget = { batchSize: ctx.config.housekeeping.batchSize, maxBatches: MAX_BATCHES };
  const started = performance.now();
  const deleted: Record<string, number> = {};
  const failed: string[] = [];
  const attempt = async (kind: string, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      failed.push(kind);
      metrics.failures.inc({ kind });
      log.error({ err: error, kind }, "housekeeping step failed; the next round retries it");
    }
  };
  for (const sweep of sweeps)
    await attempt(sweep.kind, async () => {
      const count = await sweep.run(ctx, now, budget);
      deleted[sweep.kind] = count;
      metrics.deleted.inc({ kind: sweep.kind }, count);
    });
  await attempt(REFUSED_REQUESTS, () => reportRefusedRequests(ctx.database.db, ctx.audit, now));
  metrics.lastDuration.set((performance.now() - started) / 1000);
  metrics.rounds.inc({ result: failed.length === 0 ? "ok" : "failed" });
  const total = Object.values(deleted).reduce((sum, count) => sum + count, 0);
  if (total > 0) log.info({ deleted }, "housekeeping deleted expired rows");
  return { deleted, failed };
}
