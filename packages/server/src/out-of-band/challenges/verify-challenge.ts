import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { type Kysely, sql } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import { refundAttempt, reserveAttempt } from "../../attempts/attempt-limiter.ts";
import { type AuthenticatorRow, otpAttemptPolicy } from "../../authenticators/authenticator-store.ts";
import { lockedError } from "../../authenticators/validate-otp.ts";
import type { Schema } from "../../storage/schema.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import type { UserRow } from "../../users/user-store.ts";
import {
  type ChallengePurpose,
  type ChallengeRow,
  findChallenge,
  spendChallenge,
} from "./challenge-store.ts";
import { isSentCode } from "./sealed-values.ts";

/**
 * Checks a code against the challenge that sent it: bound to tenant and user, single use (atomic),
 * SendOTPExpired after the tenant's lifetime, superseded by a resend, wrong guesses counted on the
 * device's lockout. Returns the device.
 */
export function verifyChallengeCode(
  ctx: ServerContext,
  input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly challengeId: string;
    readonly otp: string;
  },
): Promise<AuthenticatorRow> {
  return checkChallengeCode(ctx, { ...input, purpose: "sign-in" });
}

/**
 * The check behind sign-in and device verification. Order: the code's shape; the challenge (this
 * tenant's and user's, of this purpose, else not found); its state (used, superseded, expired:
 * each answered without looking at the code, so none is a guess); the device's state; an attempt
 * reserved on the device (attempts/attempt-limiter.ts: counted before the code is compared, so a
 * burst cannot outrun the lock and a locked device answers right and wrong codes alike); the
 * constant-time comparison; then the compare-and-set that spends the code. A right code that lost
 * the race is no guess: its reservation is refunded.
 */
export async function checkChallengeCode(
  ctx: ServerContext,
  input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly challengeId: string;
    readonly otp: string;
    readonly purpose: ChallengePurpose;
  },
): Promise<AuthenticatorRow> {
  const { db } = ctx.database;
  if (!/^\d{6}$|^\d{8}$/.test(input.otp))
    throw new TesseraError(ApiReturnCode.BogusOTP, {
      message: "otp must be 6 or 8 digits",
      field: "body.otp",
    });
  const challenge = await findChallenge(db, input.tenant.id, input.user.id, input.challengeId);
  if (challenge === undefined || challenge.purpose !== input.purpose)
    throw new TesseraError(ApiReturnCode.OTPInvalid, {
      message: `no ${input.purpose === "sign-in" ? "sign-in" : "verification"} challenge ${input.challengeId} for this user`,
      field: "body.challengeId",
    });
  const now = ctx.clock.now();
  await refuseSpent(db, challenge, now);
  const device = await db
    .selectFrom("authenticators")
    .selectAll()
    .where("id", "=", challenge.authenticator_id)
    .executeTakeFirst();
  // Deleted between the two reads (the delete cascades to its codes, so only a race gets here):
  // the same answer as the code's own device being gone.
  if (device === undefined)
    throw new TesseraError(ApiReturnCode.DeviceNotFound, {
      message: "the device that was sent the code is gone",
    });
  // A device moved to another user since the code was sent answers for its new holder only.
  if (device.user_id !== input.user.id)
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: `device ${device.serial} is no longer assigned to this user`,
    });
  refuseDevice(device, input.purpose);
  if (input.otp.length !== device.digits)
    throw new TesseraError(ApiReturnCode.BogusOTP, {
      message: `device ${device.serial} is sent ${device.digits}-digit codes`,
      field: "body.otp",
    });
  const attempt = await reserveAttempt(db, "token", device.id, otpAttemptPolicy(input.tenant), now);
  if (!attempt.granted) throw lockedError(device, attempt.lockedUntil);
  if (!isSentCode(ctx, challenge.id, challenge.code_enc, input.otp)) {
    if (attempt.lockedUntil !== null) throw lockedError(device, attempt.lockedUntil);
    throw new TesseraError(ApiReturnCode.OTPInvalid, { message: "the code is not valid" });
  }
  if (!(await spendChallenge(db, challenge, now))) {
    await refundAttempt(db, attempt);
    await refuseSpent(db, challenge, now, true);
    throw new TesseraError(ApiReturnCode.OTPAlreadyUsed, {
      message: "the code was just used by another request",
    });
  }
  return settleSuccess(db, device, input.purpose, now);
}

/** Used, superseded or expired: the answer depends on the challenge only, never on the code. */
async function refuseSpent(
  db: Kysely<Schema>,
  row: ChallengeRow,
  now: number,
  reread = false,
): Promise<void> {
  const current = reread
    ? ((await db.selectFrom("challenge_codes").selectAll().where("id", "=", row.id).executeTakeFirst()) ??
      row)
    : row;
  if (current.used_at !== null)
    throw new TesseraError(ApiReturnCode.OTPAlreadyUsed, { message: "the code was already used" });
  if (current.superseded_at !== null)
    throw new TesseraError(ApiReturnCode.SendOTPExpired, {
      message: "a newer code was sent to this device since; only the latest one counts",
    });
  if (current.expires_at <= now)
    throw new TesseraError(ApiReturnCode.SendOTPExpired, {
      message: "the code has expired; send a new one",
    });
}

function refuseDevice(device: AuthenticatorRow, purpose: ChallengePurpose): void {
  if (device.enabled !== 1)
    throw new TesseraError(ApiReturnCode.DeviceDiabled, { message: `device ${device.serial} is disabled` });
  if (purpose === "sign-in" && device.activated !== 1)
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: `device ${device.serial} is not verified yet`,
    });
  if (purpose === "verification" && device.activated === 1)
    throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
      message: `device ${device.serial} is already verified`,
    });
  if (device.max_uses !== null && device.uses >= device.max_uses)
    throw new TesseraError(ApiReturnCode.MaximumCardUsesExceeded, {
      message: `device ${device.serial} has no uses left`,
    });
}

/**
 * The code was right and is spent: the device's attempt counters start afresh (even a lock a
 * concurrent wrong guess just took: the right code was evaluated within the limit), a sign-in
 * counts as a use, a verification activates the device.
 */
async function settleSuccess(
  db: Kysely<Schema>,
  device: AuthenticatorRow,
  purpose: ChallengePurpose,
  now: number,
): Promise<AuthenticatorRow> {
  const updated = await db
    .updateTable("authenticators")
    .set({
      failures: 0,
      lock_count: 0,
      consecutive_failures: 0,
      locked_until: null,
      updated_at: now,
      ...(purpose === "verification" ? { activated: 1 } : { uses: sql<number>`uses + 1` }),
    })
    .where("id", "=", device.id)
    .returningAll()
    .executeTakeFirst();
  return updated ?? device;
}
