/**
 * An app: one OpenID Connect client of one tenant. Its kind decides how it authenticates at the
 * token endpoint: `native` (desktop and CLI programs, RFC 8252 loopback redirects on any port) and
 * `browser` (single-page apps) are public and prove themselves with PKCE S256 only;
 * `confidential` apps (servers) also hold a secret.
 */
export const appKinds = ["native", "browser", "confidential"] as const;
export type AppKind = (typeof appKinds)[number];

/** The grants an app may be allowed; PATs are exchanged through Tessera's own grant type. */
export const PAT_GRANT_TYPE = "urn:tessera:params:oauth:grant-type:personal-access-token";
export const DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
/** RFC 8693: an app's access token exchanged for one of another app of the tenant (grants/token-exchange.ts). */
export const TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const appGrantTypes = [
  "authorization_code",
  "refresh_token",
  "client_credentials",
  DEVICE_GRANT_TYPE,
  PAT_GRANT_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
] as const;
export type AppGrantType = (typeof appGrantTypes)[number];

/** An app's settings as they would be stored: what the rules between fields are checked on (app-rules.ts). */
export interface AppSettings {
  readonly kind: AppKind;
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly AppGrantType[];
  /** The scopes the app may ask for (always includes openid). */
  readonly scopes: readonly string[];
  /** Authenticator types accepted as the second factor at sign-in; empty: any the user has. */
  readonly secondFactors: readonly string[];
  readonly requireSecondFactor: boolean;
  /** The tenant's own app: no consent step. A third-party app asks the user for consent. */
  readonly firstParty: boolean;
  /**
   * How long (hours, 0–720) a program of the app may keep working offline after the server last
   * confirmed its sign-in: ID tokens carry the end as `tessera_offline_until`. 0: never offline.
   */
  readonly offlineGraceHours: number;
  /**
   * Origins (besides the tenant's) its WebAuthn ceremonies may come from, each under the tenant's
   * RP id; absent: none (apps built in code, like the account pages' own client).
   */
  readonly webauthnOrigins?: readonly string[];
}

export interface App extends AppSettings {
  readonly clientId: string;
  readonly tenantId: string;
  readonly hasSecret: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}
