import { ApiReturnCode, byValue } from "@tessera/codes";
import type Provider from "oidc-provider";
import type { KoaContextWithOIDC, TokenEndpointGrantContext } from "oidc-provider";
import { errors } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { decideAccess } from "../../policies/access-decision.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import { PAT_GRANT_TYPE } from "../apps/app.ts";
import { accountFinder } from "../provider/find-account.ts";
import { lifetimesOf } from "../provider/provider-configuration.ts";
import { patGrantId, revokePatAccess } from "./pat-revocation.ts";
import { findPatByToken, markPatUsed, type PatRow } from "./pat-store.ts";

/**
 * Tessera's own grant type at every tenant's token endpoint: a program holding a personal access
 * token (`personal_access_token=tpat_…`) gets an access token for the token's user, with the
 * app's scopes (or fewer, if it asks for fewer; never a refresh token: the PAT is the long-lived
 * credential). oidc-provider has already authenticated the app and checked that its grant types
 * include this one; the PAT must also have been made for this very app.
 *
 * An unknown, expired or revoked PAT, or one of another app, is one answer: OAuth `invalid_grant`
 * whose JSON also carries the envelope fields (errorCode 9071, PartnerUserLoginFailedInvalidToken)
 * so that programs and tests can tell it from other grant failures. A PAT whose user can no
 * longer sign in is refused the same way with the user's own code (disabled, expired), and an
 * exchange the tenant's or the app's access policy denies with the SSOPolicy* code. Every
 * exchange, refused or not, is in the audit trail.
 */
export const PAT_PARAMETER = "personal_access_token";

/** A refused exchange; `code` travels in the answer beside OAuth's error. */
class PatRefused extends errors.InvalidGrant {
  readonly tesseraCode: number;
  constructor(
    code: number,
    detail: string,
    description = "the personal access token is not valid for this app",
  ) {
    super(detail);
    this.tesseraCode = code;
    this.error_description = description;
  }
}

const installed = new WeakSet<object>();

/** Adds the grant to every tenant provider made from now on (once per server context). */
export function installPatGrant(ctx: ServerContext): void {
  if (installed.has(ctx.sso)) return;
  installed.add(ctx.sso);
  ctx.sso.onCreate((provider, tenantId) => {
    provider.registerGrantType(
      PAT_GRANT_TYPE,
      (koa: TokenEndpointGrantContext) => exchange(ctx, provider, tenantId, koa),
      [PAT_PARAMETER, "scope"],
    );
    // oidc-provider has written its error body when it emits this; the envelope fields are added
    // before the response leaves (Koa sends the body after the middleware chain returns).
    provider.on("grant.error", (koa, error) => {
      if (!(error instanceof PatRefused)) return;
      const body = koa.body as Record<string, unknown>;
      koa.body = {
        ...body,
        errorCode: error.tesseraCode,
        errorName: byValue("api", error.tesseraCode)?.name ?? "",
        errorMessage: error.error_description,
      };
    });
  });
}

async function exchange(
  ctx: ServerContext,
  provider: Provider,
  tenantId: string,
  koa: TokenEndpointGrantContext,
) {
  const { client, params } = koa.oidc;
  const token = params[PAT_PARAMETER];
  if (typeof token !== "string" || token === "")
    throw new errors.InvalidRequest(`missing required parameter '${PAT_PARAMETER}'`);
  const now = ctx.clock.now();
  const pat = await findPatByToken(ctx.database.db, tenantId, token);
  const requestId = String(koa.res.getHeader("x-request-id") ?? "") || null;
  const audit = (code: number, subject: string | null) =>
    ctx.audit.append({
      at: now,
      tenantId,
      actor: `app:${client.clientId}`,
      subject,
      sourceIp: sourceIpOf(koa),
      operation: "sso.personal-access-token.exchange",
      resultCode: code,
      durationMs: null,
      requestId,
    });
  const problem = invalidity(pat, client.clientId, now);
  if (pat === undefined || problem !== undefined) {
    await audit(ApiReturnCode.PartnerUserLoginFailedInvalidToken, pat === undefined ? null : `pat:${pat.id}`);
    throw new PatRefused(ApiReturnCode.PartnerUserLoginFailedInvalidToken, problem ?? "unknown");
  }
  const user = await ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", pat.user_id)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  const refusal = user === undefined ? undefined : signInRefusal(user, now);
  if (user === undefined || refusal !== undefined) {
    const code = refusal?.code ?? ApiReturnCode.PartnerUserLoginFailedInvalidToken;
    await audit(code, user === undefined ? `pat:${pat.id}` : `user:${user.username}`);
    throw new PatRefused(code, refusal?.message ?? "no such user");
  }
  // The tenant's and the app's access policies hold for a program as for a person: day, time of
  // day and address are checked at every exchange (each rule's outcome is audited by decideAccess).
  // The daily allowance is not counted: a program exchanging every few minutes is not a person
  // signing in, and would otherwise use up the user's sign-ins of the day (docs/sso.md).
  const decision = await decideAccess(ctx, {
    tenantId,
    clientId: client.clientId,
    userId: user.id,
    address: koa.ip,
    requestId: requestId ?? undefined,
    only: "rules",
  });
  if (decision.denied !== undefined) {
    await audit(decision.denied, `user:${user.username}`);
    throw new PatRefused(
      decision.denied,
      "denied by an access policy",
      "an access policy denies this access",
    );
  }
  // The user as oidc-provider's own grants name it, for whatever reads the request's entities
  // (event listeners, the token endpoint's audit).
  const account = await accountFinder(ctx, tenantId)(koa, user.id);
  if (account !== undefined) koa.oidc.entity("Account", account);
  const scope = scopeOf(client.scope ?? "", params.scope);
  // An access token never outlives the PAT it came from.
  const expiresIn = Math.max(
    1,
    Math.min(lifetimesOf(ctx.config).AccessToken, Math.floor((pat.expires_at - now) / 1000)),
  );
  // Every exchange of this PAT under the one Grant its revocation ends (pat-revocation.ts).
  const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
  grant.jti = patGrantId(pat.id);
  grant.addOIDCScope(scope);
  // The grant lives as long as its one access token (oidc-provider reads expiresIn, which its
  // types do not declare, before the configured Grant lifetime of fourteen days).
  Object.assign(grant, { expiresIn });
  const grantId = await grant.save();
  const accessToken = new provider.AccessToken({
    accountId: user.id,
    client,
    grantId,
    gty: PAT_GRANT_TYPE,
    scope,
    expiresIn,
  });
  koa.oidc.entity("AccessToken", accessToken);
  const value = await accessToken.save();
  if (!(await markPatUsed(ctx.database.db, pat.id, now))) {
    // Revoked while this exchange ran: the revoke may have ended the Grant before this token was
    // saved under it, so the token is ended here (pat-revocation.ts explains the order).
    await revokePatAccess(ctx, tenantId, pat.id);
    await audit(ApiReturnCode.PartnerUserLoginFailedInvalidToken, `pat:${pat.id}`);
    throw new PatRefused(ApiReturnCode.PartnerUserLoginFailedInvalidToken, "revoked during the exchange");
  }
  await audit(ApiReturnCode.Success, `user:${user.username}`);
  koa.body = { access_token: value, token_type: "Bearer", expires_in: accessToken.expiration, scope };
}

/** Why the PAT cannot be exchanged by this app now; undefined when it can. */
function invalidity(pat: PatRow | undefined, clientId: string, now: number): string | undefined {
  if (pat === undefined) return "unknown personal access token";
  if (pat.revoked_at !== null) return "the personal access token was revoked";
  if (pat.expires_at <= now) return "the personal access token has expired";
  if (pat.client_id !== clientId) return "the personal access token was made for another app";
  return undefined;
}

/**
 * The scopes the access token carries: those asked for, each of which the app must allow, else
 * all the app's. offline_access is never granted: there is no refresh token to go with it.
 */
function scopeOf(allowed: string, requested: string | undefined): string {
  const appScopes = allowed.split(" ").filter((s) => s !== "" && s !== "offline_access");
  if (requested === undefined) return appScopes.join(" ");
  const asked = requested.split(" ").filter((s) => s !== "");
  const extra = asked.filter((s) => !appScopes.includes(s));
  if (extra.length > 0)
    throw new errors.InvalidScope("the app may not ask for these scopes", extra.join(" "));
  return asked.join(" ");
}

/**
 * The client's address for the audit event: Koa's, which provider-routes.ts sets to the address
 * Fastify resolved against the trusted proxies.
 */
function sourceIpOf(koa: KoaContextWithOIDC): string | null {
  return koa.ip === "" ? null : koa.ip;
}
