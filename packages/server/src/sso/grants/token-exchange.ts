import { randomBytes } from "node:crypto";
import { ApiReturnCode } from "@tessera/codes";
import type Provider from "oidc-provider";
import type { AdapterPayload, TokenEndpointGrantContext } from "oidc-provider";
import { errors } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { decideAccess } from "../../policies/access-decision.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import { TOKEN_EXCHANGE_GRANT_TYPE } from "../apps/app.ts";
import { accountFinder } from "../provider/find-account.ts";
import { lifetimesOf } from "../provider/provider-configuration.ts";
import {
  answerExchangeRefusals,
  ExchangeRefused,
  invalidSubject,
  TargetNotRegistered,
} from "./exchange-refusals.ts";
import { ACCESS_TOKEN_TYPE, exchangeParameters, exchangeRequest } from "./exchange-request.ts";
import { awaitRevocationsUnderWay, type ExchangeSubject, findSubject } from "./exchange-subject.ts";
import { exchangedScope, findTarget, requireTargetFactor } from "./exchange-target.ts";

/**
 * Token exchange (RFC 8693) at every tenant's token endpoint: an app holding an access token of
 * a signed-in user (the subject token, issued to that very app) gets an access token of the same
 * user for another of the tenant's own apps (`audience`), as if the user had signed in there.
 * The identity client's registerClientId + getAccessToken(id) use it (docs/sso.md "Token exchange").
 *
 * The issued token is the target's: its clientId is the target (which may introspect it; no
 * other app may), its user the subject's, its scopes at most what the target allows and the
 * subject holds, no refresh token, and it never outlives the subject token: otherwise two apps
 * (or one, exchanging for itself) could renew a ten-minute token for ever without a refresh token.
 * It is issued under a Grant of its own (oidc-provider's userinfo and introspection insist the
 * grant is the token's app's) whose stored `grantId` names the grant the sign-in began, so that
 * the adapter deletes it with that grant's family: revoking the sign-in (its refresh token, a
 * replay, a PAT, the user's disable or password reset) ends every token exchanged from it.
 *
 * registerTokenExchange adds the grant type to a tenant's provider (install-grants.ts).
 */
export function registerTokenExchange(provider: Provider, tenantId: string, ctx: ServerContext): void {
  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT_TYPE,
    (koa: TokenEndpointGrantContext) => exchange(ctx, provider, tenantId, koa),
    exchangeParameters,
  );
  answerExchangeRefusals(provider);
}

async function exchange(
  ctx: ServerContext,
  provider: Provider,
  tenantId: string,
  koa: TokenEndpointGrantContext,
) {
  const { client, params } = koa.oidc;
  // A third-party app's users consented to that app alone: it must not collect tokens of the
  // tenant's own apps in their name, whatever its grant types say.
  if (client["tessera:first_party"] !== true)
    throw new errors.UnauthorizedClient("only the tenant's own apps may exchange tokens");
  const request = exchangeRequest(params);
  const subject = await findSubject(ctx, provider, tenantId, client.clientId, request.subjectToken);
  const target = await findTarget(ctx, tenantId, request.audience);
  const now = ctx.clock.now();
  const user = await ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", subject.accountId)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (user === undefined) throw invalidSubject("no such user");
  const refusal = signInRefusal(user, now);
  if (refusal !== undefined) throw new ExchangeRefused(refusal.message, refusal.message, refusal.code);
  // The user as the request's Account entity: the token endpoint's audit names them.
  const account = await accountFinder(ctx, tenantId)(koa, user.id);
  if (account !== undefined) koa.oidc.entity("Account", account);
  // The target's access policies (and the tenant's) hold as for a sign-in to it; the daily
  // allowance is not counted: this is no new sign-in, as for a refresh (docs/sso.md).
  const requestId = koa.res.getHeader("x-request-id");
  const decision = await decideAccess(ctx, {
    tenantId,
    clientId: target.clientId,
    userId: user.id,
    address: koa.ip,
    requestId: typeof requestId === "string" ? requestId : undefined,
    only: "rules",
  });
  if (decision.denied !== undefined)
    throw new ExchangeRefused(
      "denied by an access policy",
      "an access policy denies this access",
      decision.denied,
    );
  await requireTargetFactor(ctx, tenantId, target, subject);
  const scope = exchangedScope(target, subject, request.scope);
  const targetClient = await provider.Client.find(target.clientId);
  if (targetClient === undefined) throw new TargetNotRegistered();
  const expiresIn = Math.max(
    1,
    Math.min(lifetimesOf(ctx.config).AccessToken, Math.floor((subject.expiresAt - now) / 1000)),
  );
  const grantId = await saveLinkedGrant(provider, user.id, target.clientId, scope, subject, expiresIn);
  const accessToken = new provider.AccessToken({
    accountId: user.id,
    client: targetClient,
    grantId,
    gty: TOKEN_EXCHANGE_GRANT_TYPE,
    scope,
    expiresIn,
    // How the user signed in travels on (token-amr.ts): a chain of exchanges proves no more.
    ...(subject.amr.length === 0 ? {} : { extra: { amr: [...subject.amr] } }),
  });
  koa.oidc.entity("AccessToken", accessToken);
  const value = await accessToken.save();
  await undoIfRevokedMeanwhile(
    ctx,
    provider,
    tenantId,
    client.clientId,
    request.subjectToken,
    subject,
    grantId,
  );
  koa.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: "Bearer",
    expires_in: accessToken.expiration,
    scope,
  };
}

/**
 * The target's Grant, stored with `grantId` = the sign-in's root grant: the adapter files it under
 * that grant (sso_models.grant_id), so revoking the root deletes it, and with it every token
 * that names it stops working (userinfo and introspection need the token's Grant). It lives as
 * long as its one token.
 */
async function saveLinkedGrant(
  provider: Provider,
  accountId: string,
  clientId: string,
  scope: string,
  subject: ExchangeSubject,
  expiresIn: number,
): Promise<string> {
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scope);
  grant.jti = randomBytes(32).toString("base64url");
  Object.assign(grant, { expiresIn });
  const model = grant as unknown as { getValueAndPayload(): Promise<{ payload: AdapterPayload }> };
  const { payload } = await model.getValueAndPayload();
  await provider.Grant.adapter.upsert(grant.jti, { ...payload, grantId: subject.rootGrantId }, expiresIn);
  return grant.jti;
}

/**
 * A revocation that ran between the subject's check and the save has not deleted what this
 * exchange saved after it: the subject token (or, down a chain, its Grant) is deleted by the same
 * statement that would have deleted these rows, so if it is gone now, this exchange undoes itself
 * (once a revocation still under way has committed: awaitRevocationsUnderWay).
 */
async function undoIfRevokedMeanwhile(
  ctx: ServerContext,
  provider: Provider,
  tenantId: string,
  clientId: string,
  subjectToken: string,
  subject: ExchangeSubject,
  grantId: string,
): Promise<void> {
  await awaitRevocationsUnderWay(ctx, tenantId, subjectToken, subject);
  const live = await findSubject(ctx, provider, tenantId, clientId, subjectToken).then(
    () => true,
    () => false,
  );
  if (live) return;
  await provider.AccessToken.revokeByGrantId(grantId);
  await provider.Grant.adapter.destroy(grantId);
  throw new ExchangeRefused(
    "revoked during the exchange",
    "the subject token was revoked",
    ApiReturnCode.PartnerUserLoginFailedInvalidToken,
  );
}
