import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { attemptSucceeded, lockedAnswer, reserveAttempt } from "../attempts/attempt-limiter.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { findUser, type UserRow } from "../users/user-store.ts";
import { requireWellFormed } from "../users/username.ts";
import { passwordAttemptPolicy } from "./account-lockout.ts";

const DAY_MS = 86_400_000;

/**
 * Checks a user's password, in this order: the account exists, is enabled, has not expired, has a
 * password, is not locked (an attempt is reserved); then the password; then its age. Every path spends one Argon2id computation, so the
 * response time does not tell whether the account exists or which check failed.
 */
export async function verifyPassword(
  ctx: ServerContext,
  tenant: Tenant,
  rawUsername: unknown,
  password: string,
  /** For a password change: an expired password still proves who is changing it. */
  options: { allowExpiredPassword?: boolean } = {},
): Promise<UserRow> {
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const username = requireWellFormed(rawUsername, "body.username");
  const user = await findUser(db, tenant.id, username);
  const refuse = async (error: TesseraError): Promise<never> => {
    await ctx.passwords.verifyNothing(password);
    throw error;
  };
  const fail = (code: number, message: string) => refuse(new TesseraError(code, { message }));
  if (user === undefined) return fail(ApiReturnCode.InvalidPartnerUserLogin, `no user ${username}`);
  const refusal = signInRefusal(user, now);
  if (refusal !== undefined) return fail(refusal.code, refusal.message);
  if (user.password_hash === null)
    return fail(ApiReturnCode.PartnerUserLoginFailed, "the user has no password");
  // The attempt is counted before the hash is computed, so a burst of guesses cannot all be
  // evaluated before the first failure is recorded. A refused attempt still spends the Argon2
  // work and gets one answer, right password or wrong: neither time nor text tells them apart.
  const attempt = await reserveAttempt(db, "account", user.id, passwordAttemptPolicy(tenant), now);
  if (!attempt.granted) return refuse(locked(user, attempt.lockedUntil));

  if (!(await ctx.passwords.verify(password, user.password_hash))) {
    if (attempt.lockedUntil !== null) throw locked(user, attempt.lockedUntil);
    throw new TesseraError(ApiReturnCode.PartnerUserLoginFailed, { message: "wrong password" });
  }
  await attemptSucceeded(db, attempt);
  if (ctx.passwords.needsRehash(user.password_hash)) {
    const rehashed = await ctx.passwords.hash(password);
    await db
      .updateTable("users")
      .set({ password_hash: rehashed })
      .where("id", "=", user.id)
      .where("password_hash", "=", user.password_hash)
      .execute();
  }
  const changedAt = user.password_changed_at ?? user.created_at;
  const expired = tenant.passwordMaxAgeDays !== null && now >= changedAt + tenant.passwordMaxAgeDays * DAY_MS;
  if (expired && options.allowExpiredPassword !== true) {
    throw new TesseraError(ApiReturnCode.PartnerUserLoginFailedPasswordExpired, {
      message: "the password has expired and must be changed",
    });
  }
  return user;
}

const locked = (user: UserRow, until: number | null) =>
  lockedAnswer(
    ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
    "this account",
    until,
    `PATCH /v1/users/${user.username} {"unlock": true}`,
  );
