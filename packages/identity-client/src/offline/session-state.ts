import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult, ok, usable } from "../results/identity-result.ts";
import type { AuthenticationData } from "../session/authentication-data.ts";
import { currentSession } from "../tokens/current-session.ts";
import { expectedOf, signedGrace, verifyIdToken } from "./grace-from-id-token.ts";

/**
 * Is somebody signed in? true with Success (online) or Offline (server unreachable, within the
 * signed grace); false with Success when nobody is signed in, false with SignInRequired when the
 * sign-in is over (expired, revoked, grace ended, clock rolled back). Other failures (the store,
 * the server refusing) pass through with their code.
 */
export async function isUserAuthenticated(ctx: ClientContext): Promise<IdentityResult<boolean>> {
  const session = await currentSession(ctx);
  if (usable(session.status))
    return {
      ...ok(true, session.status),
      ...(session.message === undefined ? {} : { message: session.message }),
    };
  if (session.status === IdentityStatusCode.AuthDataEmpty)
    return { status: IdentityStatusCode.Success, value: false };
  if (session.status === IdentityStatusCode.SignInRequired)
    return { status: session.status, value: false, message: session.message ?? "sign in again" };
  return fail(session.status, session.message ?? "the session cannot be read");
}

/**
 * Everything known about the sign-in (session/authentication-data.ts), with the status of the
 * session (Success or Offline). Identity and grace come from the ID token as verified against the
 * cached JWKS, not from the store's copies: the store is the user's file. AuthDataEmpty when nobody
 * is signed in; SignInRequired when the stored ID token does not verify (nothing to trust).
 */
export async function authenticationData(ctx: ClientContext): Promise<IdentityResult<AuthenticationData>> {
  const session = await currentSession(ctx);
  const data = session.value;
  const tokens = data?.tokens;
  if (!usable(session.status) || data === undefined || tokens === undefined)
    return fail(session.status, session.message ?? "no session");
  const claims =
    tokens.idToken === undefined
      ? undefined
      : await verifyIdToken(tokens.idToken, data.discovery?.jwks, expectedOf(ctx.options));
  if (claims?.sub === undefined)
    return fail(IdentityStatusCode.SignInRequired, "the stored ID token does not verify: sign in again");
  const grace = signedGrace(claims);
  const email = stringClaim(claims.email) ?? data.profile?.email;
  const displayName = stringClaim(claims.name) ?? data.profile?.displayName;
  const authTime = typeof claims.auth_time === "number" ? claims.auth_time * 1000 : tokens.authTime;
  const value: AuthenticationData = {
    subject: claims.sub,
    tenant: tenantOf(ctx.options.issuerUrl),
    ...(email === undefined ? {} : { email }),
    ...(displayName === undefined ? {} : { displayName }),
    accessTokenExpiresAt: new Date(tokens.accessTokenExpiresAt),
    ...dateOf("refreshTokenExpiresAt", tokens.refreshTokenExpiresAt),
    ...dateOf("idTokenExpiresAt", claims.exp === undefined ? undefined : claims.exp * 1000),
    ...dateOf("authenticatedAt", authTime),
    ...dateOf("gracePeriodStart", grace?.start),
    ...dateOf("gracePeriodEnd", grace?.end),
  };
  return {
    ...ok(value, session.status),
    ...(session.message === undefined ? {} : { message: session.message }),
  };
}

const stringClaim = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

const dateOf = <K extends string>(key: K, ms: number | undefined) =>
  (ms === undefined || !Number.isFinite(ms) ? {} : { [key]: new Date(ms) }) as Partial<Record<K, Date>>;

/** The tenant's id: the issuer's last path segment (…/oidc/<tenant id>). */
const tenantOf = (issuer: URL) =>
  issuer.pathname
    .split("/")
    .filter((part) => part !== "")
    .at(-1) ?? "";
