import { IdentityStatusCode } from "@tessera/codes";
import type * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { SessionData, TokenSet } from "../session/session-data.ts";
import { emptySession } from "../session/session-data.ts";

/**
 * Writes a token endpoint answer into the shared store (sign-in, refresh): the tokens with their
 * expiries by the local clock, and a new generation when someone signs in (events/). PROVISIONAL
 * (foundation): the tokens part completes it (the grace period from the ID token, the server time,
 * the profile), keeping the signature.
 */
export async function saveTokens(
  ctx: ClientContext,
  response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  options: { signIn: boolean },
): Promise<IdentityResult<SessionData>> {
  const { store } = ctx;
  if (store === undefined) return fail(IdentityStatusCode.UnsupportedCall, "batch mode keeps no store");
  const now = ctx.now();
  const claims = response.claims();
  const tokens: TokenSet = {
    accessToken: response.access_token,
    accessTokenExpiresAt: now + (response.expiresIn() ?? 0) * 1000,
    ...(response.refresh_token === undefined ? {} : { refreshToken: response.refresh_token }),
    ...(response.id_token === undefined ? {} : { idToken: response.id_token }),
    ...(claims === undefined ? {} : { idTokenExpiresAt: claims.exp * 1000 }),
    ...(typeof claims?.auth_time === "number" ? { authTime: claims.auth_time * 1000 } : {}),
    ...(response.scope === undefined ? {} : { scope: response.scope }),
    obtainedAt: now,
  };
  const written = await store.update(async (current) => {
    const base = current ?? emptySession(ctx.options.issuerUrl.href, ctx.options.clientId);
    const next: SessionData = {
      ...base,
      tokens,
      generation: options.signIn ? base.generation + 1 : base.generation,
    };
    return { next, value: next };
  });
  return written.ok ? ok(written.value) : fail(written.status, written.message);
}
