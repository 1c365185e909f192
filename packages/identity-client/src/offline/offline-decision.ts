import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import type { Classified } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { SessionData } from "../session/session-data.ts";
import { clockRolledBack, finite } from "./clock-rollback.ts";
import { expectedOf, signedGrace, verifyIdToken } from "./grace-from-id-token.ts";

/**
 * The server could not be reached (`cause`): may the stored sign-in still be used? Offline (value:
 * the session) within the grace period the server signed into the stored ID token, else
 * SignInRequired (docs/identity-client.md, "Offline").
 *
 * The store is the user's own file, so nothing in it is believed on its own: the grace is read
 * again from the ID token's signature (an edited `grace` gives nothing beyond the signed one). The
 * local clock is the only clock offline, and the user can set it; so it must not be earlier than
 * the latest time seen (beyond CLOCK_TOLERANCE_MS, clock-rollback.ts): the signed `iat`, the last
 * server time (the tokens part records it), when the tokens were obtained, and the last local time
 * (ratcheted here on every decision, under the store's lock so that concurrent processes cannot
 * lower it). A clock seen rolled back withdraws the grace for good (`revokedGraceStart`): setting
 * the clock forward again does not revive it; only a new sign-in or refresh, a new signed grace,
 * does. What this cannot stop: a user who holds the store's key and also replaces the cached JWKS
 * can forge anything offline (docs/identity-client.md, the store's threat model).
 */
export async function decideOffline(
  ctx: ClientContext,
  data: SessionData,
  cause: Classified,
): Promise<IdentityResult<SessionData>> {
  const { store } = ctx;
  if (data.tokens === undefined) return fail(IdentityStatusCode.AuthDataEmpty, "nobody is signed in");
  if (store === undefined)
    return fail(IdentityStatusCode.SignInRequired, `${cause.message}; batch mode has no offline grace`);
  const decided = await store.update(async (current) => {
    // The record as it is now under the lock: another process may have refreshed or signed out.
    if (current?.tokens === undefined)
      return {
        next: "unchanged",
        value: fail<SessionData>(IdentityStatusCode.AuthDataEmpty, "nobody is signed in"),
      };
    const now = ctx.now();
    // A clock that gives no number cannot be compared with anything: no grace on it (fail closed).
    if (!Number.isFinite(now))
      return {
        next: "unchanged",
        value: fail<SessionData>(IdentityStatusCode.SignInRequired, "the local clock gives no time"),
      };
    const { idToken } = current.tokens;
    const claims =
      idToken === undefined
        ? undefined
        : await verifyIdToken(idToken, current.discovery?.jwks, expectedOf(ctx.options));
    const grace = claims === undefined ? undefined : signedGrace(claims);
    const rolledBack = clockRolledBack(current, now, grace?.start);
    const revoked = grace !== undefined && (rolledBack || current.revokedGraceStart === grace.start);
    const next: SessionData = {
      ...current,
      lastLocalTime: Math.max(finite(current.lastLocalTime), now),
      ...(grace === undefined ? {} : { grace }),
      ...(revoked ? { revokedGraceStart: grace.start } : {}),
    };
    return { next, value: verdict(next, grace, revoked || rolledBack, now, cause) };
  });
  return decided.ok ? decided.value : fail(decided.status, decided.message);
}

function verdict(
  next: SessionData,
  grace: SessionData["grace"],
  rolledBack: boolean,
  now: number,
  cause: Classified,
): IdentityResult<SessionData> {
  const signInRequired = (why: string) =>
    fail<SessionData>(IdentityStatusCode.SignInRequired, `${cause.message}; ${why}`);
  if (grace === undefined)
    return signInRequired("the stored sign-in carries no offline grace period the server signed");
  if (rolledBack)
    return signInRequired(
      "the local clock is earlier than a time already seen (rolled back): the offline grace period is withdrawn",
    );
  if (now > grace.end)
    return signInRequired(`the offline grace period ended at ${new Date(grace.end).toISOString()}`);
  return {
    ...ok(next, IdentityStatusCode.Offline),
    message: `${cause.message}; working offline until ${new Date(grace.end).toISOString()}`,
  };
}
