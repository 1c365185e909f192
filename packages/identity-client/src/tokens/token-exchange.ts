import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { SessionData } from "../session/session-data.ts";
import { EXPIRY_SKEW_MS } from "./current-session.ts";
import { isNotRegistered, isOAuthError } from "./server-answers.ts";
import { accessTokenExpiry } from "./token-lifetime.ts";

export const TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/**
 * An access token for a further client id: the one cached in the store while it is valid, else
 * one exchanged (RFC 8693) for the user's access token at the main client id, cached per client
 * id. The exchange runs under the store's lock, so N processes asking at once exchange once.
 * `session` is the signed-in record with a valid main access token (currentSession).
 */
export async function exchangedToken(
  ctx: ClientContext,
  session: SessionData,
  clientId: string,
): Promise<IdentityResult<string>> {
  const cached = validCached(ctx, session, clientId);
  if (cached !== undefined) return ok(cached);
  const { store, server } = ctx;
  if (store === undefined || server === undefined)
    return fail(IdentityStatusCode.ConnectionError, "the server is needed to exchange a token");
  const updated = await store.update<IdentityResult<string>>(async (current) => {
    const tokens = current?.tokens;
    if (current === undefined || tokens === undefined)
      return { next: "unchanged", value: fail(IdentityStatusCode.AuthDataEmpty, "nobody is signed in") };
    const already = validCached(ctx, current, clientId);
    if (already !== undefined) return { next: "unchanged", value: ok(already) };
    try {
      const answer = await oidc.genericGrantRequest(server, TOKEN_EXCHANGE_GRANT_TYPE, {
        subject_token: tokens.accessToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        audience: clientId,
      });
      const expiresAt = accessTokenExpiry(ctx.now(), answer.expiresIn());
      const clientTokens = {
        ...current.clientTokens,
        [clientId]: { accessToken: answer.access_token, expiresAt },
      };
      return { next: { ...current, clientTokens }, value: ok(answer.access_token) };
    } catch (error) {
      if (isNotRegistered(error) || isOAuthError(error, "invalid_target"))
        return {
          next: "unchanged",
          value: fail(
            IdentityStatusCode.ClientIdNotRegistered,
            `the server does not know the client id ${clientId}`,
          ),
        };
      const cause = classifyFailure(error);
      return { next: "unchanged", value: fail(cause.status, `the token exchange failed: ${cause.message}`) };
    }
  });
  return updated.ok ? updated.value : fail(updated.status, updated.message);
}

function validCached(ctx: ClientContext, session: SessionData, clientId: string): string | undefined {
  const cached = session.clientTokens?.[clientId];
  return cached !== undefined && cached.expiresAt - EXPIRY_SKEW_MS > ctx.now()
    ? cached.accessToken
    : undefined;
}
