import { randomBytes } from "node:crypto";
import type { ClientMetadata } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import type { App } from "../apps/app.ts";
import { findApp } from "../apps/app-store.ts";
import { issuerPath } from "../provider/provider-configuration.ts";

/**
 * The account pages' own client: a first-party, public client that every tenant's issuer knows
 * (statically, not in sso_apps, so it is never listed, changed or deleted through /v1/apps).
 * A signed-out visitor of an account page is sent through the ordinary authorization request of
 * this client, so the tenant's sign-in pages (password, second factor, policies) decide, exactly
 * as for any app; the page itself then reads who is signed in from the provider's session.
 */
export const ACCOUNT_CLIENT_ID = "tessera-account";

export const accountPath = (tenantId: string) => `${issuerPath(tenantId)}/account`;
export const tokensPagePath = (tenantId: string) => `${accountPath(tenantId)}/tokens`;
export const signedInPath = (tenantId: string) => `${accountPath(tenantId)}/signed-in`;

export function accountClient(publicUrl: string, tenantId: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: "Account",
    redirect_uris: [new URL(signedInPath(tenantId), publicUrl).href],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    scope: "openid",
    token_endpoint_auth_method: "none",
    "tessera:first_party": true,
    "tessera:second_factors": [],
    "tessera:require_second_factor": false,
  };
}

/**
 * Where a signed-out visitor goes: the authorization endpoint, for this client. The code that
 * comes back is never redeemed (the page needs the session the sign-in made, not tokens), so the
 * PKCE challenge is of a verifier nobody keeps: the code is useless to whoever might see it.
 * `prompt=login` makes the pages run again even for a browser already signed in (to prove the
 * second factor that a password-only session lacks).
 */
export function signInUrl(publicUrl: string, tenantId: string, prompt?: "login"): string {
  const url = new URL(`${issuerPath(tenantId)}/auth`, publicUrl);
  url.search = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID,
    response_type: "code",
    scope: "openid",
    redirect_uri: new URL(signedInPath(tenantId), publicUrl).href,
    code_challenge: randomBytes(32).toString("base64url"),
    code_challenge_method: "S256",
    state: randomBytes(16).toString("base64url"),
    ...(prompt === undefined ? {} : { prompt }),
  }).toString();
  return url.href;
}

/**
 * The app a sign-in is for, as the sign-in pages see it: the tenant's app, or the account client,
 * which is first party (no consent) and takes any second factor the user has; whether one is
 * required is the tenant's setting, as for its own apps.
 */
export async function appForSignIn(
  ctx: ServerContext,
  tenantId: string,
  clientId: string,
): Promise<App | undefined> {
  if (clientId !== ACCOUNT_CLIENT_ID) return findApp(ctx, tenantId, clientId);
  return {
    clientId: ACCOUNT_CLIENT_ID,
    tenantId,
    name: "Account",
    kind: "browser",
    redirectUris: [],
    postLogoutRedirectUris: [],
    grantTypes: ["authorization_code"],
    scopes: ["openid"],
    secondFactors: [],
    requireSecondFactor: false,
    firstParty: true,
    // The account pages are a web page, not a program that works offline.
    offlineGraceHours: 0,
    hasSecret: false,
    createdAt: 0,
    updatedAt: 0,
  };
}
