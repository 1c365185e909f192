/**
 * What the shared session store holds for one OS user, issuer and main client id (store/): the
 * sign-in every process of the program shares. Times are milliseconds since the epoch. The whole
 * record is sealed (AES-256-GCM) by the store; nothing here is written anywhere in clear.
 */
export interface SessionData {
  readonly version: 1;
  readonly issuer: string;
  readonly clientId: string;
  /** Discovery metadata and the JWKS, kept so that an offline process can still verify (offline/). */
  readonly discovery?: CachedDiscovery;
  /** The signed-in user's tokens at the main client id; absent when nobody is signed in. */
  readonly tokens?: TokenSet;
  /** Access tokens for further client ids (registerClientId), by client id. */
  readonly clientTokens?: Readonly<Record<string, ClientToken>>;
  /** The user profile from the userinfo endpoint, cached for offline use. */
  readonly profile?: UserProfile;
  /** The offline grace period the server signed into the last ID token (offline/). */
  readonly grace?: GracePeriod;
  /** The latest server time seen (Date headers, token iat): the floor the local clock must not go below. */
  readonly lastServerTime?: number;
  /** The latest local time seen while deciding offline use: a clock rolled back below it is noticed. */
  readonly lastLocalTime?: number;
  /** Bumped on every sign-in and sign-out, so that other processes see the change (events/). */
  readonly generation: number;
  /**
   * The start (signed iat) of a grace period withdrawn because the local clock was seen rolled
   * back while it ran: moving the clock forward again does not bring that grace back (offline/).
   */
  readonly revokedGraceStart?: number;
  /** Further client ids registered with registerClientId, known to every process of the program. */
  readonly registeredClientIds?: readonly string[];
}

export interface CachedDiscovery {
  /** The discovery document as served. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The issuer's JWKS as served (public keys only). */
  readonly jwks?: { readonly keys: readonly Readonly<Record<string, unknown>>[] };
  readonly fetchedAt: number;
}

export interface TokenSet {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly idTokenExpiresAt?: number;
  readonly scope?: string;
  /** When the user authenticated at the server (the ID token's auth_time). */
  readonly authTime?: number;
  /** When these tokens were obtained (local clock). */
  readonly obtainedAt: number;
  /** When the refresh token expires (the token answer's refresh_token_expires_in, local clock). */
  readonly refreshTokenExpiresAt?: number;
}

export interface ClientToken {
  readonly accessToken: string;
  readonly expiresAt: number;
}

export interface UserProfile {
  readonly subject: string;
  readonly tenant?: string;
  readonly email?: string;
  readonly displayName?: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface GracePeriod {
  /** When the server last confirmed the sign-in (the ID token's iat). */
  readonly start: number;
  /** Until when the program may work offline (the signed claim). */
  readonly end: number;
}

export const emptySession = (issuer: string, clientId: string): SessionData => ({
  version: 1,
  issuer,
  clientId,
  generation: 0,
});
