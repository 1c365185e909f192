import type Provider from "oidc-provider";

/**
 * Every ID token issued to an app carries `tessera_offline_until` (NumericDate, seconds): its own
 * `iat` plus the app's offlineGraceHours × 3600, and no such claim when the app allows none (0).
 * A program of the app may keep working offline until then (the identity client's offline
 * decision); since the server signs it, the local clock alone cannot extend it, and the `iat`
 * beside it is the server time the client last saw (its clock-rollback check).
 *
 * Where it is added, and why there: oidc-provider v9 has no hook for ID token claims.
 * `extraTokenClaims` is for access tokens only. The account's `claims()` (findAccount) reaches
 * ID tokens, but it runs before the token is signed and cannot see the `iat` the signer picks, so
 * the claim could be a second off its own `iat`; it would also need the claim in the `openid`
 * claims set, which advertises it in discovery and hands it to /me. So the issuing itself is
 * wrapped: `IdToken.issue` of THIS provider (each provider has its own IdToken class), for
 * `use: "idtoken"` only (logout tokens and signed userinfo are no sign-in confirmations). The
 * wrapper fixes `iat` itself and derives the claim from it, so the two always agree; `exp` stays
 * the signer's (iat + the ID token lifetime, one second more in the rare case a second boundary
 * passes between the two reads of the clock). This covers every grant that issues an ID token:
 * authorization code, refresh token and device code alike.
 */
export const OFFLINE_UNTIL_CLAIM = "tessera_offline_until";
/** The client metadata property that carries the app's hours (sso/apps/app-store.ts). */
export const OFFLINE_GRACE_METADATA = "tessera:offline_grace_hours";

export function signOfflineGrace(provider: Provider): void {
  const { prototype } = provider.IdToken;
  const issue = prototype.issue;
  prototype.issue = function issueWithOfflineGrace(this: typeof prototype, options) {
    const hours = options.use === "idtoken" ? this.client?.[OFFLINE_GRACE_METADATA] : undefined;
    if (typeof hours === "number" && Number.isInteger(hours) && hours > 0) {
      // oidc-provider's own clock (its epochTime): the signer would pick the same second.
      const iat = Math.floor(Date.now() / 1000);
      this.set("iat", iat);
      this.set(OFFLINE_UNTIL_CLAIM, iat + hours * 3600);
    }
    return issue.call(this, options);
  };
}
