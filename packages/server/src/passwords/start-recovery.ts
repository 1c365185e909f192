import { randomBytes } from "node:crypto";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { consumeRateLimit } from "../rate-limits/rate-limit.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { findUser } from "../users/user-store.ts";
import { openRecovery, setMailState } from "./recovery-store.ts";

export interface StartedRecovery {
  readonly requestId: string;
  readonly expiresAt: number;
  /** Sends the e-mail and records how it went; run after the answer has left. */
  readonly deliver?: () => Promise<void>;
}

/**
 * Starts a password recovery. The answer must not tell an end user whether the account exists,
 * so every username gets the same answer after the same work: the limit is counted per username
 * (known or not), a request id is returned, and the e-mail, the only slow step, is sent after the
 * answer (`deliver`). An unknown username gets an id that matches nothing; an account that cannot
 * recover gets a request recorded as refused, without an e-mail. The tenant reads the outcome
 * back by request id (PartnerUserForgetPasswordFailed, PartnerUserSendPasswordEmailFailed).
 */
export async function startRecovery(
  ctx: ServerContext,
  tenant: Tenant,
  username: string,
): Promise<StartedRecovery | { retryAt: number }> {
  const db = ctx.database.db;
  const now = ctx.clock.now();
  // Each request may send an e-mail: a per-username limit keeps this from flooding a mailbox.
  const retryAt = await consumeRateLimit(
    db,
    `recovery:${tenant.id}:${username}`,
    { limit: ctx.config.recovery.maxPerHour, windowMs: 3600_000 },
    now,
  );
  if (retryAt !== undefined) return { retryAt };
  const expiresAt = now + ctx.config.recovery.linkTtlMinutes * 60_000;
  const user = await findUser(db, tenant.id, username);
  if (user === undefined) return { requestId: randomBytes(16).toString("base64url"), expiresAt };
  const email = user.email;
  const refused = email === null || signInRefusal(user, now) !== undefined;
  const { rid, mid } = await openRecovery(db, {
    tenantId: tenant.id,
    userId: user.id,
    now,
    expiresAt,
    mailState: refused ? "refused" : "queued",
  });
  if (email === null || refused) return { requestId: rid, expiresAt };
  const link = new URL("/password-recovery", ctx.publicUrl);
  link.searchParams.set("rid", rid);
  link.searchParams.set("mid", mid);
  const deliver = async () => {
    try {
      await ctx.mailer.send({
        to: email,
        subject: "Reset your password",
        text: `Someone asked to reset the password of ${user.username}. To choose a new one, open\n\n${link}\n\nThe link works once and expires at ${new Date(expiresAt).toISOString()}. If this was not you, ignore this e-mail.\n`,
      });
      await setMailState(db, rid, "sent");
    } catch {
      // The reason (an SMTP reply) is not the tenant's to read; the state says the send failed.
      await setMailState(db, rid, "failed");
    }
  };
  return { requestId: rid, expiresAt, deliver };
}

export function rateLimited(retryAt: number, now: number) {
  return {
    retryAfter: String(Math.ceil((retryAt - now) / 1000)),
    error: new TesseraError(TesseraApiCode.RateLimited, {
      message: "too many recovery requests for this username; try again later",
    }),
  };
}
