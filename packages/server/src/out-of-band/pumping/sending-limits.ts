import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import { type CountedAttempt, countAttempt, refundAttempt } from "../../rate-limits/rate-limit.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { countryRefusal } from "./challenge-countries.ts";
import { sendingLimitMetrics } from "./sending-limit-metrics.ts";
import { type SendingRule, sendingRules } from "./sending-rules.ts";

export interface SendAttempt {
  readonly tenant: Tenant;
  readonly userId: string;
  readonly method: DeliveryMethod;
  /** Normalised destination: E.164 number or e-mail address. */
  readonly destination: string;
  /** The end user's address where known (SSO pages), else the API caller's. */
  readonly sourceIp: string;
}

/**
 * Anti-pumping (docs/authenticators.md): a phone destination outside the tenant's country
 * allow-list is refused (SendOTPInvalidDeliveryMethod) before anything is counted; then one send
 * is counted per source address, per user, per destination (15 minutes and a day) and per
 * destination country calling code, in the database so the limits hold across processes. Over a
 * limit it gives back the counts it took, sets Retry-After on `reply` (when given), audits which
 * limit refused, and throws RateLimited (429). Call it before every send: a send it let through
 * counts even when the transport then fails (a gateway may have charged for it).
 */
export async function enforceSendingLimits(
  ctx: ServerContext,
  attempt: SendAttempt,
  reply?: FastifyReply,
): Promise<void> {
  if (attempt.method !== "email") {
    const refusal = countryRefusal(attempt.tenant, attempt.destination);
    if (refusal !== undefined) {
      sendingLimitMetrics(ctx).inc({ limit: "country-not-allowed" });
      throw new TesseraError(ApiReturnCode.SendOTPInvalidDeliveryMethod, { message: refusal });
    }
  }
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const taken: { key: string; counted: CountedAttempt }[] = [];
  for (const limit of sendingRules(ctx, attempt)) {
    const counted = await countAttempt(db, limit.key, limit.rule, now);
    taken.push({ key: limit.key, counted });
    if (!counted.allowed) {
      // A refused send costs nobody any allowance, the refusing counter included: each counter
      // then holds exactly the sends that went ahead. While a send is in flight its counts are
      // held, so a concurrent one may be refused near a limit it ends up under (fail closed);
      // never can more than a limit's sends go ahead, as a counted send is only given back when
      // it is refused.
      await Promise.all(taken.map((t) => refundAttempt(db, t.key, t.counted)));
      await refuse(ctx, attempt, limit, counted, now, reply);
    }
  }
}

async function refuse(
  ctx: ServerContext,
  attempt: SendAttempt,
  limit: SendingRule,
  counted: CountedAttempt,
  now: number,
  reply: FastifyReply | undefined,
): Promise<never> {
  const windowSeconds = limit.rule.windowMs / 1000;
  // Another process may have opened the window a little "later" by its own clock: the wait is
  // never longer than one window, and at least a second.
  const seconds = Math.min(
    windowSeconds,
    Math.max(1, Math.ceil((counted.windowStartedAt + limit.rule.windowMs - now) / 1000)),
  );
  reply?.header("retry-after", String(seconds));
  sendingLimitMetrics(ctx).inc({ limit: limit.name });
  // Its own event besides the request's: which limit refused (never the destination, which the
  // key only holds as a keyed hash), also for callers that are no API request (the SSO pages).
  await ctx.audit.append({
    at: now,
    tenantId: attempt.tenant.id,
    actor: reply?.request.actor ?? "system",
    subject: `user:${attempt.userId}`,
    sourceIp: attempt.sourceIp,
    operation: `out-of-band send refused: ${limit.name} limit`,
    resultCode: TesseraApiCode.RateLimited,
    durationMs: null,
    requestId: reply?.request.id ?? null,
  });
  throw new TesseraError(TesseraApiCode.RateLimited, {
    message: `too many codes sent ${limit.what}; try again in ${seconds} seconds`,
  });
}
