import type * as oidc from "openid-client";
import type { AuthenticationData } from "../session/authentication-data.ts";
import type { SessionData } from "../session/session-data.ts";

/**
 * What signIn answers: the sign-in just saved (`saved`, as the store now holds it) seen through
 * the ID token's claims. The tenant is the issuer's last path segment (/oidc/<tenant id>).
 */
export function signedInData(
  saved: SessionData,
  response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
): AuthenticationData {
  const claims = response.claims();
  const { tokens, grace } = saved;
  const at = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
  const displayName = claims?.name ?? claims?.preferred_username;
  const fields: Record<string, Date | undefined> = {
    accessTokenExpiresAt: at(tokens?.accessTokenExpiresAt),
    // As the store kept it (save-tokens.ts drops a refresh_token_expires_in that is no usable time).
    refreshTokenExpiresAt: at(tokens?.refreshTokenExpiresAt),
    idTokenExpiresAt: at(tokens?.idTokenExpiresAt),
    authenticatedAt: at(tokens?.authTime),
    gracePeriodStart: at(grace?.start),
    gracePeriodEnd: at(grace?.end),
  };
  return {
    subject: saved.profile?.subject ?? claims?.sub ?? "",
    tenant: new URL(saved.issuer).pathname.split("/").filter(Boolean).at(-1) ?? "",
    ...(typeof claims?.email === "string" ? { email: claims.email } : {}),
    ...(typeof displayName === "string" ? { displayName } : {}),
    ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
  };
}
