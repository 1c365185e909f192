import { randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyBaseLogger } from "fastify";
import { publicLink } from "../app/public-url.ts";
import type { ServerContext } from "../app/server-context.ts";
import { consumeRateLimit } from "../rate-limits/rate-limit.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { findUser, type UserRow } from "../users/user-store.ts";
import { openRecovery, setMailState } from "./recovery-store.ts";

export interface StartedRecovery {
  readonly tenant: Tenant;
  readonly username: string;
  readonly requestId: string;
  readonly now: number;
  readonly expiresAt: number;
}

/**
 * Starts a password recovery. The answer must not tell an end user whether the account exists,
 * so before the answer every username takes exactly the same path: the limit is counted per
 * username (known or not) and a random request id is drawn. Nothing about the account is looked
 * at until the answer has left (`continueRecovery`): a known username then gets its request
 * recorded under that id and the e-mail; an unknown one gets nothing stored, so its id matches
 * nothing. The tenant reads the outcome back by request id (PartnerUserForgetPasswordFailed,
 * PartnerUserSendPasswordEmailFailed).
 */
export async function startRecovery(
  ctx: ServerContext,
  tenant: Tenant,
  username: string,
): Promise<StartedRecovery | { retryAt: number }> {
  const now = ctx.clock.now();
  // Each request may send an e-mail: a per-username limit keeps this from flooding a mailbox.
  const retryAt = await consumeRateLimit(
    ctx.database.db,
    `recovery:${tenant.id}:${username}`,
    { limit: ctx.config.recovery.maxPerHour, windowMs: 3600_000 },
    now,
  );
  if (retryAt !== undefined) return { retryAt };
  const expiresAt = now + ctx.config.recovery.linkTtlMinutes * 60_000;
  return { tenant, username, requestId: randomBytes(16).toString("base64url"), now, expiresAt };
}

/**
 * Runs after the answer has left: looks the user up, records the request (refused when the account
 * cannot recover: disabled, expired, no address) and sends the e-mail. With `notSent` (the queue was
 * full) the request is recorded as a failed e-mail at once and nothing is sent. It never throws:
 * nobody is waiting for it, so every failure is logged, and a failed e-mail is also audited.
 */
export async function continueRecovery(
  ctx: ServerContext,
  started: StartedRecovery,
  log: FastifyBaseLogger,
  httpRequestId: string,
  notSent?: string,
): Promise<void> {
  let user: UserRow | undefined;
  try {
    const db = ctx.database.db;
    user = await findUser(db, started.tenant.id, started.username);
    if (user === undefined) return;
    const email = user.email;
    const refused = email === null || signInRefusal(user, started.now) !== undefined;
    const { rid, mid } = await openRecovery(db, {
      rid: started.requestId,
      tenantId: started.tenant.id,
      userId: user.id,
      now: started.now,
      expiresAt: started.expiresAt,
      mailState: refused ? "refused" : notSent === undefined ? "queued" : "failed",
    });
    if (email === null || refused) return;
    if (notSent !== undefined) {
      await mailFailed(ctx, started, user, log, httpRequestId, notSent);
      return;
    }
    const link = publicLink(ctx.publicUrl, "/password-recovery", { rid, mid });
    try {
      await ctx.mailer.send({
        to: email,
        subject: "Reset your password",
        text: `Someone asked to reset the password of ${user.username}. To choose a new one, open\n\n${link}\n\nThe link works once and expires at ${new Date(started.expiresAt).toISOString()}. If this was not you, ignore this e-mail.\n`,
      });
    } catch (error) {
      await setMailState(db, rid, "failed");
      await mailFailed(ctx, started, user, log, httpRequestId, (error as Error).message);
      return;
    }
    await setMailState(db, rid, "sent");
  } catch (error) {
    log.error({ err: error, userId: user?.id }, "password recovery could not be completed");
  }
}

async function mailFailed(
  ctx: ServerContext,
  started: StartedRecovery,
  user: UserRow,
  log: FastifyBaseLogger,
  httpRequestId: string,
  reason: string,
): Promise<void> {
  // The operator needs the reason (no SMTP configured, a refusing server, a full queue); the tenant
  // reads only the state. The log names the user by id: never the link, its ids or the address.
  log.warn({ userId: user.id, reason }, "password-recovery e-mail not sent");
  await ctx.audit.append({
    at: ctx.clock.now(),
    tenantId: started.tenant.id,
    actor: "system",
    subject: `user:${user.username}`,
    sourceIp: null,
    operation: "password-recovery e-mail",
    resultCode: ApiReturnCode.PartnerUserSendPasswordEmailFailed,
    durationMs: null,
    requestId: httpRequestId,
  });
}

export function rateLimited(retryAt: number, now: number) {
  return {
    retryAfter: String(Math.ceil((retryAt - now) / 1000)),
    error: new TesseraError(TesseraApiCode.RateLimited, {
      message: "too many recovery requests for this username; try again later",
    }),
  };
}
