import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import type { AuthenticationData } from "../session/authentication-data.ts";
import type { UserProfile } from "../session/session-data.ts";
import { serverFetch } from "../setup/host-fetch.ts";
import { batchAccessToken, tokenFailure } from "./batch-token.ts";

/** getAccessToken in batch: the main client id's token only (token exchange is interactive). */
export function batchGetAccessToken(ctx: ClientContext, clientId?: string): Promise<IdentityResult<string>> {
  if (clientId !== undefined && clientId !== ctx.options.clientId)
    return Promise.resolve(
      fail(IdentityStatusCode.UnsupportedCall, "batch mode holds a token for the main client id only"),
    );
  return batchAccessToken(ctx);
}

/**
 * fetch in batch: the bearer token, and on a 401 one new exchange and one retry. With
 * `authentication: "none"` the request goes out without a token and answers NoAuthentication.
 * The response is the program's whatever its HTTP status; only a request that cannot be made is
 * a failure code (classified).
 */
export async function batchFetch(
  ctx: ClientContext,
  url: string | URL,
  init: RequestInit,
): Promise<IdentityResult<Response>> {
  // The resource's own pace is not the issuer's: no timeoutMs here, the caller's signal applies.
  const send = serverFetch(ctx.options.fetch, undefined);
  const attempt = async (token: string | undefined) => {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
    return send(url, { ...init, headers });
  };
  try {
    if (ctx.options.authentication === "none")
      return ok(await attempt(undefined), IdentityStatusCode.NoAuthentication);
    const token = await batchAccessToken(ctx);
    if (token.value === undefined) return fail(token.status, token.message ?? "no access token");
    const first = await attempt(token.value);
    // A streamed body is spent by the first attempt: its 401 goes back to the program as is.
    if (first.status !== 401 || init.body instanceof ReadableStream) return ok(first);
    const renewed = await batchAccessToken(ctx, token.value);
    if (renewed.value === undefined) return fail(renewed.status, renewed.message ?? "no access token");
    await first.body?.cancel();
    return ok(await attempt(renewed.value));
  } catch (error) {
    const { status, message } = classifyFailure(error);
    return fail(status, message);
  }
}

/** The profile of the personal access token's user (userinfo); client credentials sign nobody in. */
export async function batchUserProfile(ctx: ClientContext): Promise<IdentityResult<UserProfile>> {
  if (ctx.options.authentication === "none")
    return fail(IdentityStatusCode.NoAuthentication, "batch mode with authentication none has no user");
  if (ctx.options.personalAccessToken === undefined)
    return fail(IdentityStatusCode.AuthDataEmpty, "client credentials sign no user in");
  const token = await batchAccessToken(ctx);
  if (token.value === undefined || ctx.server === undefined)
    return fail(token.status, token.message ?? "no access token");
  try {
    const claims = await oidc.fetchUserInfo(ctx.server, token.value, oidc.skipSubjectCheck);
    const displayName = claims.name ?? claims.preferred_username;
    return ok({
      subject: claims.sub,
      tenant: tenantOf(ctx),
      ...(claims.email === undefined ? {} : { email: claims.email }),
      ...(displayName === undefined ? {} : { displayName }),
      claims: { ...claims },
    });
  } catch (error) {
    return tokenFailure(error, "access token");
  }
}

/** authenticationData in batch: the user (PAT) or the app itself (client credentials), and the token's expiry. */
export async function batchAuthenticationData(
  ctx: ClientContext,
): Promise<IdentityResult<AuthenticationData>> {
  if (ctx.options.authentication === "none")
    return fail(IdentityStatusCode.NoAuthentication, "batch mode with authentication none has no user");
  const token = await batchAccessToken(ctx);
  if (token.value === undefined) return fail(token.status, token.message ?? "no access token");
  const expiry = ctx.batch === undefined ? {} : { accessTokenExpiresAt: new Date(ctx.batch.expiresAt) };
  if (ctx.options.personalAccessToken === undefined)
    return ok({ subject: ctx.options.clientId, tenant: tenantOf(ctx), ...expiry });
  const profile = await batchUserProfile(ctx);
  if (profile.value === undefined) return fail(profile.status, profile.message ?? "no profile");
  const { subject, tenant = tenantOf(ctx), email, displayName } = profile.value;
  return ok({
    subject,
    tenant,
    ...(email === undefined ? {} : { email }),
    ...(displayName === undefined ? {} : { displayName }),
    ...expiry,
  });
}

/** The tenant's id: the issuer's last path segment (…/oidc/<tenant id>). */
const tenantOf = (ctx: ClientContext) =>
  ctx.options.issuerUrl.pathname.split("/").filter(Boolean).at(-1) ?? "";
