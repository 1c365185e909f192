import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { clockRolledBack } from "../offline/clock-rollback.ts";
import { decideOffline } from "../offline/offline-decision.ts";
import { type Classified, classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { SessionData, TokenSet } from "../session/session-data.ts";
import { SubjectChanged, sessionWithTokens } from "./save-tokens.ts";
import { isNotRegistered, isOAuthError, isUnreachable } from "./server-answers.ts";
import { withoutSignIn } from "./signed-out.ts";

/**
 * An access token is renewed this long before it expires by the local clock, so that it does not
 * expire on its way to a resource server (and small clock differences do not matter).
 */
export const EXPIRY_SKEW_MS = 30_000;

export interface CurrentSessionOptions {
  /** An access token a resource server refused (a 401): renew it even though it has not expired. */
  readonly rejected?: string;
  /** The clock was seen rolled back: the cached tokens for other client ids are not kept either. */
  readonly rolledBack?: boolean;
}

/**
 * The signed-in session as every call needs it. A valid access token: the record as read, without
 * the lock (the fast path of getAccessToken). Otherwise the refresh runs ONCE across all processes
 * of the program: under the store's lock the record is read again, and only a token still expired
 * (or still the rejected one) is refreshed; the processes that waited on the lock find the new one.
 * invalid_grant ends the sign-in (SignInRequired, tokens cleared); an unreachable server hands over
 * to the offline decision (Offline or SignInRequired). Nobody signed in: AuthDataEmpty.
 *
 * A clock that reads earlier than a time the record has already seen (offline/clock-rollback.ts)
 * is not believed: an access token that looks valid only by such a clock may have expired, so it
 * is renewed at the server as if a resource server had refused it. The server's answer settles it
 * (Success); unreachable, the offline decision sees the rollback (SignInRequired).
 */
export async function currentSession(
  ctx: ClientContext,
  options: CurrentSessionOptions = {},
): Promise<IdentityResult<SessionData>> {
  if (ctx.store === undefined) return fail(IdentityStatusCode.UnsupportedCall, "batch mode keeps no session");
  const read = await ctx.store.read();
  if (!read.ok) return fail(read.status, read.message);
  if (read.value?.tokens === undefined) return fail(IdentityStatusCode.AuthDataEmpty, "nobody is signed in");
  if (!clockRolledBack(read.value, ctx.now())) {
    if (usableAsIs(ctx, read.value.tokens, options)) return ok(read.value);
    return refreshOnce(ctx, options);
  }
  // Under the lock only the token seen here counts as distrusted: a different one was renewed at
  // the server by another process meanwhile (once for all of them) and is used as it is.
  return refreshOnce(ctx, { rejected: options.rejected ?? read.value.tokens.accessToken, rolledBack: true });
}

type Outcome =
  | { readonly result: IdentityResult<SessionData> }
  | { readonly offline: SessionData; readonly cause: Classified };

async function refreshOnce(ctx: ClientContext, options: CurrentSessionOptions) {
  const { store, server } = ctx;
  if (store === undefined) return fail<SessionData>(IdentityStatusCode.UnsupportedCall, "batch mode");
  const updated = await store.update<Outcome>(async (current) => {
    const tokens = current?.tokens;
    if (current === undefined || tokens === undefined)
      return unchanged({ result: fail(IdentityStatusCode.AuthDataEmpty, "nobody is signed in") });
    // Another process refreshed while this one waited for the lock: use its tokens.
    if (usableAsIs(ctx, tokens, options)) return unchanged({ result: ok(current) });
    if (server === undefined)
      return unchanged({
        offline: current,
        cause: {
          status: IdentityStatusCode.ConnectionError,
          message: "the server was not reachable at init",
        },
      });
    const ended = (message: string) => ({
      next: withoutSignIn(current),
      value: { result: fail<SessionData>(IdentityStatusCode.SignInRequired, message) },
    });
    if (tokens.refreshToken === undefined)
      return ended("the access token expired and there is no refresh token");
    if (tokens.refreshTokenExpiresAt !== undefined && tokens.refreshTokenExpiresAt <= ctx.now())
      return ended("the refresh token has expired");
    try {
      const answer = await oidc.refreshTokenGrant(server, tokens.refreshToken);
      const renewed = await sessionWithTokens(ctx, current, answer, { signIn: false });
      // Their expiries were judged by the same clock: they are exchanged again, not trusted.
      const { clientTokens: _, ...withoutExchanged } = renewed;
      const next = options.rolledBack === true ? withoutExchanged : renewed;
      return { next, value: { result: ok(next) } };
    } catch (error) {
      if (isOAuthError(error, "invalid_grant")) return ended("the sign-in has ended at the server");
      // A server that answers a refresh for another user is broken or hostile: nobody's tokens
      // are trusted any more (fail closed), and the person signs in again.
      if (error instanceof SubjectChanged)
        return ended("the refresh answered for another user: sign in again");
      if (isNotRegistered(error))
        return unchanged({
          result: fail(IdentityStatusCode.ClientIdNotRegistered, "the server does not know the client id"),
        });
      const cause = classifyFailure(error);
      if (isUnreachable(cause)) return unchanged({ offline: current, cause });
      return unchanged({ result: fail(cause.status, `the refresh failed: ${cause.message}`) });
    }
  });
  if (!updated.ok) return fail<SessionData>(updated.status, updated.message);
  // Decided outside the lock: the offline decision may write to the store itself.
  if ("offline" in updated.value) return decideOffline(ctx, updated.value.offline, updated.value.cause);
  return updated.value.result;
}

const unchanged = (value: Outcome) => ({ next: "unchanged" as const, value });

function usableAsIs(ctx: ClientContext, tokens: TokenSet, options: CurrentSessionOptions): boolean {
  if (options.rejected !== undefined && tokens.accessToken === options.rejected) return false;
  return tokens.accessTokenExpiresAt - EXPIRY_SKEW_MS > ctx.now();
}
