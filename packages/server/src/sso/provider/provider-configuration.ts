import type { Configuration } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { SSO_TOKEN_TTL_MAX_SECONDS } from "../../config/settings.ts";
import type { TesseraConfig } from "../../config/tessera-config.ts";
import { recordedAmr } from "../grants/token-amr.ts";
import { loadExistingGrant } from "../interactions/first-party-grant.ts";
import { ACTION_PARAM, actionValidator } from "../interactions/key-action.ts";
import { signInPolicy } from "../interactions/second-factor-policy.ts";
import { providerPages } from "../pages/provider-pages.ts";
import { accountClient } from "../tokens/account-client.ts";
import { accountFinder } from "./find-account.ts";
import { adapterFor } from "./oidc-adapter.ts";
import { introspectionAllowed, revocationAllowed } from "./token-policies.ts";

/**
 * Lifetimes in seconds, with the defaults of the sso.*Ttl* settings; the interaction's is fixed.
 * Short-lived bearer tokens; refresh tokens rotate on every use.
 */
export const ssoLifetimes = {
  AccessToken: 600,
  ClientCredentials: 600,
  AuthorizationCode: 60,
  DeviceCode: 600,
  IdToken: 600,
  Interaction: 600,
  Grant: 14 * 24 * 3600,
  RefreshToken: 14 * 24 * 3600,
  Session: 8 * 3600,
} as const;

/** The lifetimes an installation configured (config/settings.ts, sso.*Ttl*). */
export function lifetimesOf(config: TesseraConfig): Record<keyof typeof ssoLifetimes, number> {
  const { sso } = config;
  return {
    AccessToken: sso.accessTokenTtlSeconds,
    ClientCredentials: sso.accessTokenTtlSeconds,
    AuthorizationCode: sso.authorizationCodeTtlSeconds,
    DeviceCode: sso.deviceCodeTtlSeconds,
    IdToken: sso.idTokenTtlSeconds,
    Interaction: ssoLifetimes.Interaction,
    Grant: sso.refreshTokenTtlDays * 24 * 3600,
    RefreshToken: sso.refreshTokenTtlDays * 24 * 3600,
    Session: sso.sessionTtlHours * 3600,
  };
}

/**
 * How long a retired signing key stays in the JWKS: twice the longest lifetime an access or ID
 * token may be configured to have, so it covers every configuration (and a change of it between
 * restarts) without depending on one process's settings; keeping a public key longer is harmless.
 */
export const keepRetiredSigningKeysMs = SSO_TOKEN_TTL_MAX_SECONDS * 1000 * 2;

export const issuerPath = (tenantId: string) => `/oidc/${tenantId}`;
/** The tenant's issuer as tenant-providers.ts builds it: by the tenant's id, never its name. */
export const issuerUrl = (publicUrl: string, tenantId: string) =>
  new URL(issuerPath(tenantId), publicUrl).href;
/** `<issuer>/clients`: GET `<it>/<client id>` answers the app's public settings. */
export const clientInfoEndpoint = (publicUrl: string, tenantId: string) =>
  `${issuerUrl(publicUrl, tenantId)}/clients`;
export const interactionPath = (tenantId: string, uid: string) =>
  `${issuerPath(tenantId)}/interaction/${uid}`;

/**
 * oidc-provider's configuration for one tenant's issuer. What it decides, and why:
 * - PKCE S256 for every app, public or not (oidc-provider v9 knows no `plain`): a stolen code is
 *   useless without the verifier.
 * - No dynamic registration and no development interactions: apps come from sso_apps only
 *   (`/v1/apps`, `tessera app`), sign-in from Tessera's own pages (sso/interactions/).
 * - Refresh tokens rotate on every use; using a rotated one revokes the grant (oidc-adapter.ts).
 * - An app introspects and revokes only the tokens issued to itself (token-policies.ts).
 * - Cookies are signed with keys derived from the master keys (every process of an installation
 *   derives the same ones; the active key signs, the others still verify).
 */
export function providerConfiguration(
  ctx: ServerContext,
  tenantId: string,
  jwks: { keys: object[] },
): Configuration {
  return {
    adapter: adapterFor(ctx, tenantId),
    jwks: jwks as Configuration["jwks"],
    findAccount: accountFinder(ctx, tenantId),
    // The account pages' own first-party client (sso/tokens/account-client.ts).
    clients: [accountClient(ctx.publicUrl, tenantId)],
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      iss: null,
      // How the user signed in (sso/interactions/): every ID token says which methods were proved
      // (RFC 8176 amr: pwd, otp) and the resulting level (acr), so an app can insist on both.
      openid: ["sub", "acr", "amr"],
      profile: ["name", "given_name", "family_name", "preferred_username"],
      email: ["email"],
    },
    scopes: ["openid", "offline_access", "profile", "email"],
    // Where a program reads an app's public settings (sso/clients/client-info-routes.ts).
    discovery: { tessera_client_info_endpoint: clientInfoEndpoint(ctx.publicUrl, tenantId) },
    // Discovery advertises only what apps (sso_apps) can use: the code flow (no implicit or hybrid,
    // no `none`); a confidential app's secret in the Authorization header or the form body
    // (oidc-provider takes either for a secret client, and openid-client posts it by default),
    // public apps none (PKCE). No JWT client authentication, PAR, DPoP or request objects: no app
    // is set up for them, and an advertised option a relying party picks must work.
    responseTypes: ["code"],
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: lifetimesOf(ctx.config),
    cookies: {
      keys: cookieKeys(ctx),
      long: { httpOnly: true, sameSite: "lax", path: issuerPath(tenantId) },
      short: { httpOnly: true, sameSite: "lax", path: issuerPath(tenantId) },
    },
    renderError: providerPages.renderError,
    loadExistingGrant,
    // Every access token records its sign-in's amr (token exchange checks the second factor).
    extraTokenClaims: recordedAmr,
    interactions: {
      url: (_koa, interaction) => interactionPath(tenantId, interaction.uid),
      policy: signInPolicy(ctx, tenantId),
    },
    clientDefaults: {
      id_token_signed_response_alg: "ES256",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
    enabledJWA: {
      idTokenSigningAlgValues: ["ES256", "RS256"],
      userinfoSigningAlgValues: ["ES256", "RS256"],
      introspectionSigningAlgValues: ["ES256", "RS256"],
      authorizationSigningAlgValues: ["ES256", "RS256"],
    },
    // An application-initiated action (interactions/key-action.ts), validated at the request.
    extraParams: { [ACTION_PARAM]: actionValidator(ctx, tenantId) },
    extraClientMetadata: {
      properties: [
        "tessera:first_party",
        "tessera:second_factors",
        "tessera:require_second_factor",
        "tessera:offline_grace_hours",
      ],
    },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      requestObjects: { enabled: false },
      registration: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      deviceFlow: { enabled: true, ...providerPages.deviceFlow },
      rpInitiatedLogout: { enabled: true, ...providerPages.rpInitiatedLogout },
    },
  };
}

function cookieKeys(ctx: ServerContext): string[] {
  const ids = [ctx.keys.activeKeyId, ...ctx.keys.keyIds.filter((id) => id !== ctx.keys.activeKeyId)];
  return ids.map((id) => ctx.keys.derivedKey(id, "sso cookies").export().toString("base64url"));
}
