import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import {
  lockedAnswer,
  PERMANENT_LOCK,
  type Reservation,
  refundAttempt,
  reserveAttempt,
} from "../attempts/attempt-limiter.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import type { UserRow } from "../users/user-store.ts";
import { activationHint } from "./activation-hint.ts";
import { openSecret } from "./authenticator-secret.ts";
import {
  type AuthenticatorRow,
  acceptPosition,
  findForUser,
  otpAttemptPolicy,
} from "./authenticator-store.ts";
import type { Match, OathState } from "./authenticator-type.ts";
import { oathType, oathTypes } from "./registry.ts";

/**
 * Validates a one-time code against one token (by serial) or any usable token of a user.
 *
 * Order: the code's shape; the token's state (enabled, activated, not locked, uses left); an
 * attempt reserved on every usable token (attempts/attempt-limiter.ts: counted before any code is
 * computed, so a burst cannot outrun the lock, and refused alike for right and wrong codes once
 * locked); then the window search. Acceptance is a compare-and-set of the token's position, so a
 * code is accepted once even when many requests race; a failed counter write refuses the code.
 * Wrong codes stay counted; a code that is right for some token is no guess, so the other
 * tokens' reservations are refunded. That includes a token of the user still waiting for
 * activation: when no usable token accepts the code, those are searched under the same limiter,
 * and a code of one of them is the not-activated refusal naming it, with nothing left counted.
 */
export async function validateOtp(
  ctx: ServerContext,
  tenant: Tenant,
  rows: readonly AuthenticatorRow[],
  otp: string,
): Promise<AuthenticatorRow> {
  // Only OATH tokens compute codes: a phone or e-mail device's code is checked against the code
  // sent (out-of-band/challenges/), a push device answers with a signature.
  const candidates = rows.filter((row) => oathTypes.some((t) => t.type === row.type));
  if (!/^\d{6}$|^\d{8}$/.test(otp))
    throw new TesseraError(ApiReturnCode.BogusOTP, {
      message: "otp must be 6 or 8 digits",
      field: "body.otp",
    });
  if (candidates.length === 0)
    throw new TesseraError(ApiReturnCode.NoDevicesDefined, { message: "the user has no authenticator" });
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const usable = candidates.filter((row) => refusal(tenant, row, otp, now) === undefined);
  if (usable.length === 0) {
    const first = candidates[0] as AuthenticatorRow;
    if (awaitsActivation(first))
      throw await notActivatedAnswer(ctx, tenant, candidates.filter(awaitsActivation), otp);
    throw refusal(tenant, first, otp, now) as TesseraError;
  }

  const reserved: { row: AuthenticatorRow; attempt: Reservation }[] = [];
  let refused: TesseraError | undefined;
  for (const row of usable) {
    const attempt = await reserveAttempt(db, "token", row.id, otpAttemptPolicy(tenant), now);
    if (attempt.granted) reserved.push({ row, attempt });
    else refused ??= lockedError(row, attempt.lockedUntil);
  }
  if (reserved.length === 0) throw refused as TesseraError;
  const refundAll = (except?: AuthenticatorRow) =>
    Promise.all(reserved.filter((r) => r.row !== except).map((r) => refundAttempt(db, r.attempt)));

  const outcomes: Match["kind"][] = [];
  for (const { row } of reserved) {
    const match = oathType(row.type).match(openSecret(ctx, row), stateOf(row), otp, now);
    if (match.kind === "accept") {
      let accepted: boolean;
      try {
        accepted = await acceptPosition(db, row, match.position, match.drift, now);
      } catch (error) {
        throw new TesseraError(ApiReturnCode.UpdateDeviceCounterFailed, {
          message: "the code could not be recorded as used, so it was not accepted",
          cause: error,
        });
      }
      if (!accepted) {
        await refundAll();
        throw new TesseraError(ApiReturnCode.OTPAlreadyUsed, {
          message: "the code was just used by another request",
        });
      }
      // Accepting cleared this token's counters in the same statement; the user's other tokens
      // saw no guess.
      await refundAll(row);
      return row;
    }
    outcomes.push(match.kind);
  }
  // A drifted or replayed code is no guess (the code was right once, or for a drifted clock), and a
  // replay is usually a double submission: neither counts towards the lockout; only wrong codes do.
  if (outcomes.includes("drift")) {
    await refundAll();
    throw new TesseraError(ApiReturnCode.TimeDriftInvalid, {
      message: "the code is outside the allowed drift; resynchronise the token",
    });
  }
  if (outcomes.includes("replay")) {
    await refundAll();
    throw new TesseraError(ApiReturnCode.OTPAlreadyUsed, { message: "the code was already used" });
  }
  // No usable token accepts the code: it may come from a token still waiting for activation. That
  // search reserves attempts like any guess; a code it finds is no guess, so nothing stays counted.
  const waiting = candidates.filter(awaitsActivation);
  if (waiting.length > 0) {
    const search = await searchWaiting(ctx, tenant, waiting, otp);
    if (search.found !== undefined) {
      await Promise.all([refundAll(), ...search.reserved.map((attempt) => refundAttempt(db, attempt))]);
      throw notActivatedError(tenant, [search.found], now);
    }
  }
  const locking = reserved.find((r) => r.attempt.lockedUntil !== null);
  if (locking !== undefined) throw lockedError(locking.row, locking.attempt.lockedUntil);
  throw new TesseraError(ApiReturnCode.OTPInvalid, { message: "the code is not valid" });
}

/** One answer for a locked token, whether the code was right or wrong. */
export function lockedError(row: AuthenticatorRow, lockedUntil: number | null): TesseraError {
  return lockedAnswer(
    ApiReturnCode.MaximumFailedOTPRequestsExceeded,
    `token ${row.serial}`,
    lockedUntil,
    `POST /v1/authenticators/${row.serial}/enable`,
  );
}

const awaitsActivation = (row: AuthenticatorRow) => row.enabled === 1 && row.activated !== 1;

/** Locks that reservations just saw, by token id (null: not locked); newer than the rows read. */
type LockView = ReadonlyMap<string, number | null>;

/**
 * The refusal for a user whose tokens all wait for activation: it names the token the code came
 * from, so the caller activates the right one; else all of them. With fewer than two waiting tokens
 * that take codes of this length the answer is the same for right and wrong codes, so nothing is
 * evaluated and nothing counted (counting would only lock a token that an `auth` key cannot
 * activate). Otherwise finding the token is a guess like any other (see searchWaiting).
 */
async function notActivatedAnswer(
  ctx: ServerContext,
  tenant: Tenant,
  waiting: readonly AuthenticatorRow[],
  otp: string,
): Promise<TesseraError> {
  const now = ctx.clock.now();
  if (waiting.filter((row) => row.digits === otp.length).length < 2)
    return notActivatedError(tenant, waiting, now);
  const search = await searchWaiting(ctx, tenant, waiting, otp);
  if (search.found === undefined) return notActivatedError(tenant, waiting, now, search.locks);
  await Promise.all(search.reserved.map((attempt) => refundAttempt(ctx.database.db, attempt)));
  return notActivatedError(tenant, [search.found], now);
}

/**
 * Looks for the waiting token a code came from. An attempt is reserved on each token before its
 * code is computed (a locked token is not evaluated at all, so the answer tells nothing once the
 * limit is reached); wrong codes stay counted, and the caller refunds the reservations when a token
 * is found (a right code is no guess). Nothing is spent and nothing is activated: the position does
 * not move.
 */
async function searchWaiting(
  ctx: ServerContext,
  tenant: Tenant,
  waiting: readonly AuthenticatorRow[],
  otp: string,
): Promise<{ found: AuthenticatorRow | undefined; reserved: Reservation[]; locks: LockView }> {
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const reserved: Reservation[] = [];
  const locks = new Map<string, number | null>();
  for (const row of waiting) {
    if (otp.length !== row.digits) continue;
    const attempt = await reserveAttempt(db, "token", row.id, otpAttemptPolicy(tenant), now);
    locks.set(row.id, attempt.lockedUntil);
    if (!attempt.granted) continue;
    reserved.push(attempt);
    if (oathType(row.type).match(openSecret(ctx, row), stateOf(row), otp, now).kind === "accept")
      return { found: row, reserved, locks };
  }
  return { found: undefined, reserved, locks };
}

function notActivatedError(
  tenant: Tenant,
  rows: readonly AuthenticatorRow[],
  now: number,
  known: LockView = new Map(),
): TesseraError {
  // Name the remedy: a new token waits for its first code(s), and the caller is the one who can send them.
  const [only] = rows;
  const message =
    rows.length === 1 && only !== undefined
      ? `token ${only.serial} is not activated yet; ${activationHint(tenant, only.serial)}`
      : `the user's tokens ${rows.map((r) => r.serial).join(", ")} are not activated yet; ${activationHint(tenant, "<serial>", "the one set up in the app")}`;
  // A locked token refuses activation too (423): say so, and until when, so the remedy named above
  // is not tried in vain.
  const notes = rows.flatMap((row) => {
    const until = known.has(row.id) ? (known.get(row.id) ?? null) : row.locked_until;
    return until !== null && until > now ? [lockNote(row, until)] : [];
  });
  return new TesseraError(ApiReturnCode.DeviceInvalid, { message: [message, ...notes].join("; ") });
}

function lockNote(row: AuthenticatorRow, lockedUntil: number): string {
  const locked = `token ${row.serial} is locked after too many attempts`;
  return lockedUntil >= PERMANENT_LOCK
    ? `${locked} until an administrator clears it with POST /v1/authenticators/${row.serial}/enable`
    : `${locked} until ${new Date(lockedUntil).toISOString()}`;
}

/** Why this token cannot take a code now, or undefined when it can. */
function refusal(tenant: Tenant, row: AuthenticatorRow, otp: string, now: number): TesseraError | undefined {
  if (row.enabled !== 1)
    return new TesseraError(ApiReturnCode.DeviceDiabled, { message: `token ${row.serial} is disabled` });
  if (row.activated !== 1) return notActivatedError(tenant, [row], now);
  if (row.locked_until !== null && row.locked_until > now) return lockedError(row, row.locked_until);
  if (row.max_uses !== null && row.uses >= row.max_uses)
    return new TesseraError(ApiReturnCode.MaximumCardUsesExceeded, {
      message: `token ${row.serial} has no uses left`,
    });
  if (otp.length !== row.digits)
    return new TesseraError(ApiReturnCode.BogusOTP, {
      message: `token ${row.serial} makes ${row.digits}-digit codes`,
      field: "body.otp",
    });
  return undefined;
}

export function stateOf(row: AuthenticatorRow): OathState {
  return {
    algorithm: row.algorithm as OathState["algorithm"],
    digits: row.digits,
    period: row.period,
    position: row.position,
    drift: row.drift,
  };
}

/**
 * The tokens a validation looks at: the named one (which must be the user's), or all of the user's.
 * A token named by serial alone answers for its holder, so the holder must be able to sign in:
 * an unassigned pool token, or a token of a disabled or expired user, accepts no code.
 */
export async function candidatesFor(
  ctx: ServerContext,
  user: UserRow | undefined,
  byserial: AuthenticatorRow | undefined,
): Promise<AuthenticatorRow[]> {
  if (byserial !== undefined) {
    if (byserial.user_id === null) {
      throw new TesseraError(ApiReturnCode.DeviceInvalid, {
        message: `token ${byserial.serial} is not assigned to a user`,
      });
    }
    if (user !== undefined && byserial.user_id !== user.id) {
      throw new TesseraError(ApiReturnCode.DeviceInvalid, {
        message: `token ${byserial.serial} is not assigned to this user`,
      });
    }
    const holder =
      user ??
      (await ctx.database.db
        .selectFrom("users")
        .selectAll()
        .where("id", "=", byserial.user_id)
        .where("tenant_id", "=", byserial.tenant_id)
        .executeTakeFirst());
    if (holder === undefined)
      throw new TesseraError(ApiReturnCode.DeviceInvalid, {
        message: `token ${byserial.serial} is not assigned to a user`,
      });
    const refused = signInRefusal(holder, ctx.clock.now());
    if (refused !== undefined) throw new TesseraError(refused.code, { message: refused.message });
    return [byserial];
  }
  return user === undefined ? [] : findForUser(ctx.database.db, user.id);
}
