import type { CachedDiscovery, GracePeriod } from "../session/session-data.ts";

/**
 * PROVISIONAL (foundation): the offline part verifies the ID token's signature against the
 * issuer's JWKS and reads the grace period the server signed into it (`tessera_offline_until`,
 * from `iat`). Undefined when there is none or the token does not verify.
 */
export async function graceFromIdToken(
  _idToken: string,
  _jwks: CachedDiscovery["jwks"],
  _now: number,
): Promise<GracePeriod | undefined> {
  return undefined;
}
