import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { refundAttempt, reserveAttempt } from "../attempts/attempt-limiter.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { openSecret } from "./authenticator-secret.ts";
import { type AuthenticatorRow, activateAt, otpAttemptPolicy } from "./authenticator-store.ts";
import { oathType } from "./registry.ts";
import { candidatesFor, lockedError, stateOf } from "./validate-otp.ts";

export type CodeFields = { otp?: string; otp1?: string; otp2?: string };

/**
 * The codes of an activation or resynchronisation body, in the shape asked for: `{otp}` for one
 * code, `{otp1, otp2}` for two consecutive ones. Any other shape is a 400 naming the field (the
 * missing one first, then the one that does not belong), so a client built for the other
 * setting learns which body this tenant expects instead of a failed guess.
 */
export function codesOf(
  fields: CodeFields,
  count: 1 | 2,
  prefix = "body.",
): { field: string; otp: string }[] {
  const wanted = count === 1 ? (["otp"] as const) : (["otp1", "otp2"] as const);
  const expected = count === 1 ? `one code: {"otp"}` : `two consecutive codes: {"otp1", "otp2"}`;
  const missing = wanted.find((name) => fields[name] === undefined);
  const extra = (["otp", "otp1", "otp2"] as const).find(
    (name) => fields[name] !== undefined && !(wanted as readonly string[]).includes(name),
  );
  const wrong = missing ?? extra;
  if (wrong !== undefined) {
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `${prefix}${wrong}: this takes ${expected}`,
      field: `${prefix}${wrong}`,
    });
  }
  return wanted.map((name) => ({ field: `${prefix}${name}`, otp: fields[name] as string }));
}

/**
 * Activates (one code or two, as the tenant asks) or resynchronises (always two) a token, for the
 * API and the CLI alike. Activation is for a token that is not active yet: an active one is
 * refused before any code is looked at, because activating it again would be a second way to
 * have a code accepted, past the checks validation makes (uses left, the holder's state); a
 * drifted token is resynchronised instead. Both actions ask of the token and its holder what
 * validation asks (enabled, uses left, a holder who may sign in), so neither ever tells whether a
 * code is right for a user validation would refuse. An unassigned new token may be activated: it
 * answers for nobody yet (its secret was shown, so it never joins the pool of unassigned hardware
 * tokens), and an operator sets a token up before handing it out.
 *
 * The codes are a guess like any code: an attempt is reserved first (the lock refuses right and
 * wrong codes alike, and a burst has at most the limit evaluated). One code is looked for in the
 * validation window, exactly as POST /v1/auth/otp would, so activation is no wider a target than
 * validation; two codes are looked for in the wide resynchronisation window. Acceptance moves the
 * position with a compare-and-set, so the code(s) that activated cannot be used again, here or for
 * validation.
 */
export async function activateAuthenticator(
  ctx: ServerContext,
  tenant: Tenant,
  row: AuthenticatorRow,
  codes: readonly { field: string; otp: string }[],
  action: "activate" | "resync",
): Promise<AuthenticatorRow> {
  for (const { field, otp } of codes) {
    if (!/^\d+$/.test(otp) || otp.length !== row.digits) {
      throw new TesseraError(ApiReturnCode.BogusOTP, {
        message: `${field} must be ${row.digits} digits`,
        field,
      });
    }
  }
  if (action === "activate" && row.activated === 1) {
    throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
      message: `token ${row.serial} is already activated, so no code was checked; a token whose codes are refused as drifted (TimeDriftInvalid) is resynchronised with two consecutive codes: POST /v1/authenticators/${row.serial}/resync {"otp1", "otp2"} or tessera token resync --tenant T ${row.serial} <code> <code2>`,
    });
  }
  await refuseUnusable(ctx, row);
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const attempt = await reserveAttempt(db, "token", row.id, otpAttemptPolicy(tenant), now);
  if (!attempt.granted) throw lockedError(row, attempt.lockedUntil);
  const type = oathType(row.type);
  const secret = openSecret(ctx, row);
  const [first = "", second] = codes.map((c) => c.otp);
  let found: { position: number; drift: number } | undefined;
  if (second === undefined) {
    const match = type.match(secret, stateOf(row), first, now);
    // As in validation, a replayed or drifted code is no guess: it is refunded, not counted.
    if (match.kind === "replay" || match.kind === "drift") {
      await refundAttempt(db, attempt);
      throw match.kind === "replay"
        ? new TesseraError(ApiReturnCode.OTPAlreadyUsed, { message: "the code was already used" })
        : new TesseraError(ApiReturnCode.TimeDriftInvalid, {
            message:
              "the code is outside the allowed window; check the device's clock or counter, or resynchronise with two consecutive codes",
          });
    }
    if (match.kind === "accept") found = match;
  } else {
    found = type.resync(secret, stateOf(row), first, second, now);
  }
  if (found === undefined) {
    if (attempt.lockedUntil !== null) throw lockedError(row, attempt.lockedUntil);
    throw new TesseraError(ApiReturnCode.OTPInvalid, {
      message:
        second === undefined
          ? "the code is not valid"
          : "no two consecutive codes match in the resynchronisation window",
    });
  }
  // The same statement clears the attempt counters: the right code was evaluated within the limit.
  const updated = await activateAt(db, row, found.position, found.drift, now);
  if (updated === undefined) {
    await refundAttempt(db, attempt);
    throw new TesseraError(ApiReturnCode.OTPAlreadyUsed, {
      message: "the code was just used by another request",
    });
  }
  return updated;
}

/** What validation refuses before it looks at a code (validate-otp.ts), asked here in the same order. */
async function refuseUnusable(ctx: ServerContext, row: AuthenticatorRow): Promise<void> {
  if (row.enabled !== 1)
    throw new TesseraError(ApiReturnCode.DeviceDiabled, { message: `token ${row.serial} is disabled` });
  if (row.max_uses !== null && row.uses >= row.max_uses)
    throw new TesseraError(ApiReturnCode.MaximumCardUsesExceeded, {
      message: `token ${row.serial} has no uses left`,
    });
  // The holder must be able to sign in, checked exactly as for a code sent with the serial alone.
  if (row.user_id !== null) await candidatesFor(ctx, undefined, row);
}
