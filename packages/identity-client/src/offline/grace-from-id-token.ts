import { createLocalJWKSet, decodeJwt, type JWTPayload, jwtVerify } from "jose";
import type { CachedDiscovery, GracePeriod } from "../session/session-data.ts";

/**
 * How far the local clock may lag behind a time the server signed or the store saw before that
 * counts as a rolled-back clock: clocks of two machines (and NTP steps on one) differ by seconds to
 * a few minutes; rolling a clock back to stretch an offline grace is a matter of hours or days.
 */
export const CLOCK_TOLERANCE_MS = 5 * 60 * 1000;

/** Whom the ID token must be from and for: the issuer init discovered and the program's client id. */
export interface ExpectedToken {
  readonly issuer: string;
  readonly clientId: string;
}

/**
 * The ID token's claims when its signature verifies against the issuer's cached JWKS (ES256 or
 * RS256 only: no `none`, no HMAC with a public key as secret), from `issuer`, for `clientId`;
 * undefined for anything else (never throws). The token is checked as of its own `iat`, not now:
 * an ID token expires within the hour, but the grace it signs is meant to outlive it offline.
 */
export async function verifyIdToken(
  idToken: string,
  jwks: CachedDiscovery["jwks"],
  expected: ExpectedToken,
): Promise<JWTPayload | undefined> {
  if (jwks === undefined) return undefined;
  try {
    const { iat } = decodeJwt(idToken);
    if (typeof iat !== "number" || !Number.isFinite(iat)) return undefined;
    const { payload, protectedHeader } = await jwtVerify(
      idToken,
      createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]),
      {
        algorithms: ["ES256", "RS256"],
        issuer: expected.issuer,
        audience: expected.clientId,
        currentDate: new Date(iat * 1000),
        requiredClaims: ["sub", "iat", "exp"],
      },
    );
    // A JWT access token is signed with the same keys; only an ID token may carry the grace.
    if (protectedHeader.typ !== undefined && protectedHeader.typ.toLowerCase() !== "jwt") return undefined;
    return payload;
  } catch {
    return undefined;
  }
}

/**
 * The offline grace period the server signed into an ID token (docs/identity-client.md,
 * "Offline"): from `iat` (when the server last confirmed the sign-in) to `tessera_offline_until`.
 * Undefined when the token does not verify, carries no grace (the app's offlineGraceHours is 0), or
 * was issued later than `now` allows: the local clock is then behind the server's, and a grace
 * read against a clock that was rolled back is no grace (offline-decision.ts).
 */
export async function graceFromIdToken(
  idToken: string,
  jwks: CachedDiscovery["jwks"],
  now: number,
  expected: ExpectedToken,
): Promise<GracePeriod | undefined> {
  const claims = await verifyIdToken(idToken, jwks, expected);
  const grace = claims === undefined ? undefined : signedGrace(claims);
  if (grace === undefined || grace.start > now + CLOCK_TOLERANCE_MS) return undefined;
  return grace;
}

/** The grace in verified claims, whatever the local clock says (offline-decision.ts judges it). */
export function signedGrace(claims: JWTPayload): GracePeriod | undefined {
  const until = claims.tessera_offline_until;
  if (typeof until !== "number" || !Number.isFinite(until) || claims.iat === undefined) return undefined;
  const start = claims.iat * 1000;
  const end = until * 1000;
  return end > start ? { start, end } : undefined;
}

/** The expected issuer and audience of this client's ID tokens. */
export const expectedOf = (options: {
  readonly issuerUrl: URL;
  readonly clientId: string;
}): ExpectedToken => ({
  issuer: options.issuerUrl.href,
  clientId: options.clientId,
});
