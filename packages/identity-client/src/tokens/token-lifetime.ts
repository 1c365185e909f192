/**
 * When an access token from a token answer expires, by the local clock. The server's expires_in
 * is taken as given within bounds that keep the store sane:
 * - Left out (RFC 6749 §5.1 only RECOMMENDS it): the ID token's expiry when the answer carries
 *   one still ahead, else UNKNOWN_LIFETIME_MS. Taking it as expired at once would send every call
 *   of every process to the token endpoint (or end a sign-in without a refresh token at once).
 * - Absurdly large (2^53 s, 1e306 s): at most MAX_LIFETIME_MS. Beyond it the time is no valid
 *   Date (authenticationData) or not even a finite number (JSON keeps Infinity as null).
 */
export const UNKNOWN_LIFETIME_MS = 5 * 60_000;
export const MAX_LIFETIME_MS = 366 * 24 * 3_600_000;

export function accessTokenExpiry(
  now: number,
  expiresInSeconds: number | undefined,
  idTokenExpiresAt?: number,
): number {
  if (expiresInSeconds === undefined || !Number.isFinite(expiresInSeconds) || expiresInSeconds < 0)
    return idTokenExpiresAt !== undefined &&
      idTokenExpiresAt > now &&
      idTokenExpiresAt - now <= MAX_LIFETIME_MS
      ? idTokenExpiresAt
      : now + UNKNOWN_LIFETIME_MS;
  return now + Math.min(expiresInSeconds * 1000, MAX_LIFETIME_MS);
}
