import { IdentityStatusCode } from "@tessera/codes";
import { decodeJwt } from "jose";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { expectedOf, graceFromIdToken } from "../offline/grace-from-id-token.ts";
import { profileFromClaims } from "../profile/profile-claims.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { SessionData, TokenSet, UserProfile } from "../session/session-data.ts";
import { emptySession } from "../session/session-data.ts";
import { accessTokenExpiry } from "./token-lifetime.ts";

/** The last time a Date can hold (ECMAScript §21.4.1.1); a later expiry would be an Invalid Date. */
const MAX_DATE_MS = 8.64e15;

export type TokenAnswer = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

export interface SaveOptions {
  /** A sign-in (a new generation, the profile fetched) rather than a refresh. */
  readonly signIn: boolean;
  /** The token answer's Date header (ms), when the caller saw it: a later server time than iat. */
  readonly serverDate?: number;
}

/**
 * Writes a token endpoint answer into the shared store (sign-in, refresh): the tokens with their
 * expiries by the local clock, the grace period the server signed into the ID token, the latest
 * server time seen, and on a sign-in the profile from userinfo and a new generation (events/).
 */
export async function saveTokens(
  ctx: ClientContext,
  response: TokenAnswer,
  options: SaveOptions,
): Promise<IdentityResult<SessionData>> {
  const { store } = ctx;
  if (store === undefined) return fail(IdentityStatusCode.UnsupportedCall, "batch mode keeps no store");
  // Fetched before taking the lock: no network round trip while other processes wait on it.
  const profile = options.signIn ? await signInProfile(ctx, response) : undefined;
  const written = await store.update(async (current) => {
    const next = await sessionWithTokens(ctx, current, response, { ...options, profile });
    return { next, value: next };
  });
  return written.ok ? ok(written.value) : fail(written.status, written.message);
}

/**
 * The record after a token answer, from the record as it is now (called under the store's lock,
 * also by the refresh in current-session.ts, which holds the lock already).
 */
export async function sessionWithTokens(
  ctx: ClientContext,
  current: SessionData | undefined,
  response: TokenAnswer,
  options: SaveOptions & { profile?: UserProfile | undefined },
): Promise<SessionData> {
  const base = current ?? emptySession(ctx.options.issuerUrl.href, ctx.options.clientId);
  const now = ctx.now();
  const claims = response.claims();
  const previous = options.signIn ? undefined : base.tokens;
  if (!options.signIn && claims !== undefined) {
    const before = subjectOf(base);
    // OpenID Connect Core §12.2: a refreshed ID token names the same subject. Another one would
    // make this store another user's under the first user's profile and tokens: refused (fail closed).
    if (before !== undefined && claims.sub !== before) throw new SubjectChanged();
  }
  const refreshExpiresIn = response.refresh_token_expires_in;
  // A refresh answer without a new refresh token leaves the old one (and its expiry) in force.
  const refresh =
    response.refresh_token === undefined
      ? pick(previous, "refreshToken", "refreshTokenExpiresAt")
      : {
          refreshToken: response.refresh_token,
          ...(typeof refreshExpiresIn === "number" &&
          refreshExpiresIn > 0 &&
          Number.isSafeInteger(now + refreshExpiresIn * 1000) &&
          now + refreshExpiresIn * 1000 <= MAX_DATE_MS
            ? { refreshTokenExpiresAt: now + refreshExpiresIn * 1000 }
            : {}),
        };
  const authTime = typeof claims?.auth_time === "number" ? claims.auth_time * 1000 : previous?.authTime;
  const tokens: TokenSet = {
    accessToken: response.access_token,
    accessTokenExpiresAt: accessTokenExpiry(
      now,
      response.expiresIn(),
      claims === undefined ? undefined : claims.exp * 1000,
    ),
    ...refresh,
    ...(response.id_token === undefined
      ? pick(previous, "idToken", "idTokenExpiresAt")
      : {
          idToken: response.id_token,
          ...(claims === undefined ? {} : { idTokenExpiresAt: claims.exp * 1000 }),
        }),
    ...(authTime === undefined ? {} : { authTime }),
    // A refresh answer without `scope` grants the scopes granted before (RFC 6749 §5.1).
    ...(response.scope === undefined ? pick(previous, "scope") : { scope: response.scope }),
    obtainedAt: now,
  };
  const grace =
    response.id_token === undefined
      ? undefined
      : await graceFromIdToken(response.id_token, base.discovery?.jwks, now, expectedOf(ctx.options));
  const serverTimes = [
    base.lastServerTime,
    claims === undefined ? undefined : claims.iat * 1000,
    options.serverDate,
  ];
  const lastServerTime = Math.max(...serverTimes.filter((t): t is number => typeof t === "number"));
  const { clientTokens, grace: oldGrace, profile: oldProfile, ...rest } = base;
  const profile = options.signIn ? options.profile : oldProfile;
  // A new ID token's grace is the server's latest word (none: no offline use); else the old one stands.
  const nextGrace = response.id_token === undefined && !options.signIn ? oldGrace : grace;
  return {
    ...rest,
    tokens,
    // Tokens for other client ids belong to the user who signed in before: a sign-in drops them.
    ...(options.signIn || clientTokens === undefined ? {} : { clientTokens }),
    ...(profile === undefined ? {} : { profile }),
    ...(nextGrace === undefined ? {} : { grace: nextGrace }),
    ...(Number.isFinite(lastServerTime) ? { lastServerTime } : {}),
    generation: options.signIn ? base.generation + 1 : base.generation,
  };
}

/** A refresh answered for another user than the one signed in: the answer is not used. */
export class SubjectChanged extends Error {
  constructor() {
    super("the refresh answer names another subject than the signed-in user");
    this.name = "SubjectChanged";
  }
}

/**
 * The signed-in user's subject: the stored ID token's `sub` (the store's own copy; a refresh or
 * sign-in already validated it), else the cached profile's. Undefined when nobody is signed in.
 */
export function subjectOf(data: SessionData | undefined): string | undefined {
  const idToken = data?.tokens?.idToken;
  if (idToken !== undefined)
    try {
      const { sub } = decodeJwt(idToken);
      if (typeof sub === "string" && sub !== "") return sub;
    } catch {
      // Not a JWT: the profile's subject is the next witness.
    }
  return data?.tokens === undefined ? undefined : data.profile?.subject;
}

/** The profile at sign-in: userinfo, else (userinfo unavailable) the ID token's claims. */
async function signInProfile(ctx: ClientContext, response: TokenAnswer): Promise<UserProfile | undefined> {
  const claims = response.claims();
  const issuer = ctx.options.issuerUrl.href;
  if (
    ctx.server !== undefined &&
    claims !== undefined &&
    response.scope?.split(" ").includes("openid") !== false
  )
    try {
      const info = await oidc.fetchUserInfo(ctx.server, response.access_token, claims.sub);
      return profileFromClaims(info, issuer);
    } catch {
      // The sign-in stands without userinfo; getUserProfile fetches it again when online.
    }
  return claims === undefined ? undefined : profileFromClaims(claims, issuer);
}

function pick<K extends keyof TokenSet>(
  tokens: TokenSet | undefined,
  ...keys: K[]
): Partial<Pick<TokenSet, K>> {
  const picked: Partial<Pick<TokenSet, K>> = {};
  for (const key of keys) if (tokens?.[key] !== undefined) picked[key] = tokens[key];
  return picked;
}
