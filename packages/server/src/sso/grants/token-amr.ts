import type { AccessToken, ClientCredentials, KoaContextWithOIDC } from "oidc-provider";

/**
 * How the user signed in (RFC 8176 amr: `pwd`, `otp`), recorded in every access token issued for a
 * sign-in (oidc-provider's extraTokenClaims: the token's `extra`, sealed with it and shown by
 * introspection). The ID token says it already; the access token must too, because a token
 * exchange (token-exchange.ts) decides from the access token alone whether the sign-in proved a
 * second factor that the target app requires.
 *
 * The amr comes from what the grant redeemed: the authorization code, the device code or the
 * refresh token (each copies its sign-in's amr). An exchanged token carries its subject's amr,
 * set before it is saved. A PAT exchange, client credentials or anything else has none: no
 * factor is claimed that no sign-in proved.
 */
type Issued = AccessToken | ClientCredentials;

export function recordedAmr(
  koa: KoaContextWithOIDC | undefined,
  token: Issued,
): Record<string, unknown> | undefined {
  if (token.kind !== "AccessToken") return undefined;
  if (token.extra !== undefined) return token.extra;
  const entities = koa?.oidc?.entities;
  const origin = entities?.AuthorizationCode ?? entities?.DeviceCode ?? entities?.RefreshToken;
  const amr = (origin as { amr?: unknown } | undefined)?.amr;
  return Array.isArray(amr) && amr.every((m) => typeof m === "string") ? { amr } : undefined;
}

/** The amr recorded in an access token; empty when none was. */
export function amrOfToken(token: AccessToken): readonly string[] {
  const amr = token.extra?.amr;
  return Array.isArray(amr) ? amr.filter((m): m is string => typeof m === "string") : [];
}
