import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import { DEFAULT_SCOPES } from "../setup/init-options.ts";
import { isNotRegistered, isOAuthError } from "../tokens/server-answers.ts";

/** Tessera's grant that exchanges a personal access token (docs/sso.md). */
export const PAT_GRANT_TYPE = "urn:tessera:params:oauth:grant-type:personal-access-token";
/** A token this close to its expiry is exchanged anew rather than handed out. */
const RENEW_MARGIN_MS = 30_000;

/** One exchange at a time per client: concurrent callers share it instead of each exchanging. */
const exchanges = new WeakMap<ClientContext, Promise<IdentityResult<string>>>();

/**
 * Batch mode's access token: the credentials (a personal access token, else the client secret's
 * client_credentials grant) exchanged at the token endpoint, held in this process only
 * (ctx.batch) and exchanged again when it is about to expire, or when `stale` (a token the
 * resource server refused) is still the one held.
 */
export async function batchAccessToken(ctx: ClientContext, stale?: string): Promise<IdentityResult<string>> {
  if (ctx.options.authentication === "none")
    return fail(IdentityStatusCode.NoAuthentication, "batch mode with authentication none holds no token");
  const held = ctx.batch;
  if (held !== undefined && held.accessToken !== stale && ctx.now() < held.expiresAt - RENEW_MARGIN_MS)
    return ok(held.accessToken);
  const running = exchanges.get(ctx);
  if (running !== undefined) return running;
  const exchange = exchangeCredentials(ctx).finally(() => exchanges.delete(ctx));
  exchanges.set(ctx, exchange);
  return exchange;
}

async function exchangeCredentials(ctx: ClientContext): Promise<IdentityResult<string>> {
  const { server, options } = ctx;
  if (server === undefined) return fail(IdentityStatusCode.ConnectionError, "the issuer was not discovered");
  // The program's own scopes when it named some (minus offline_access: batch keeps no refresh
  // token); else none, and the server grants the app's default scopes.
  const scope =
    options.scopes === DEFAULT_SCOPES
      ? undefined
      : options.scopes.filter((s) => s !== "offline_access").join(" ");
  const parameters: Record<string, string> = scope === undefined || scope === "" ? {} : { scope };
  try {
    const response =
      options.personalAccessToken === undefined
        ? await oidc.clientCredentialsGrant(server, parameters)
        : await oidc.genericGrantRequest(server, PAT_GRANT_TYPE, {
            ...parameters,
            personal_access_token: options.personalAccessToken,
          });
    const lifetime = response.expiresIn() ?? 60;
    ctx.batch = { accessToken: response.access_token, expiresAt: ctx.now() + lifetime * 1000 };
    return ok(response.access_token);
  } catch (error) {
    return tokenFailure(
      error,
      options.personalAccessToken === undefined ? "client secret" : "personal access token",
    );
  }
}

/**
 * A refused exchange (the server's answers read as tokens/server-answers.ts reads them): an unknown client id is ClientIdNotRegistered; refused credentials
 * (invalid_grant for a personal access token, invalid_client for a secret) are Failed, the
 * catalog's "the credentials were refused"; anything else is the classified online failure.
 */
export function tokenFailure<T>(error: unknown, credential: string): IdentityResult<T> {
  if (isNotRegistered(error))
    return fail(IdentityStatusCode.ClientIdNotRegistered, "the client id is not registered at this issuer");
  if (isOAuthError(error, "invalid_grant") || isOAuthError(error, "invalid_client"))
    return fail(IdentityStatusCode.Failed, `the ${credential} was refused (${error.error})`);
  const { status, message } = classifyFailure(error);
  return fail(status, message);
}
