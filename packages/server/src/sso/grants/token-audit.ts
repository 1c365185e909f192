import { performance } from "node:perf_hooks";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";

/**
 * Token-endpoint outcomes in the audit trail, written before the answer leaves (a Koa middleware
 * around oidc-provider's routes: its error handler has turned any failure into the answer by then).
 * If the event cannot be written the answer becomes server_error: nothing is handed out that the
 * trail does not show, as for the API.
 *
 * Recorded: which app (actor `app:<client id>`; `anonymous` when it failed to authenticate), for
 * which user (subject `user:<username>` once tokens are issued for one, else the app), the grant type (operation `oidc.token <grant type>`) and the
 * outcome as a catalog code; a grant revoked on the way (a reused code or refresh token, a lost
 * redemption race, the revocation endpoint) is one more event, `oidc.grant.revoke`. Never a token,
 * code or secret: none of them is read here. A device polling (authorization_pending, slow_down)
 * is not an outcome and is not recorded: it would flood the trail.
 */
const REVOKED = Symbol("tessera grant revoked");
const notOutcomes = new Set(["authorization_pending", "slow_down"]);

/** The catalog code an OAuth error answer is recorded as (docs/sso.md, "Grants"). */
export function auditCodeOf(error: string | undefined): number {
  switch (error) {
    case undefined:
      return ApiReturnCode.Success;
    case "invalid_grant":
    case "expired_token":
    case "access_denied":
      return ApiReturnCode.PartnerUserLoginFailedInvalidToken;
    case "invalid_client":
    case "unauthorized_client":
      return ApiReturnCode.PartnerLoginFailed;
    case "server_error":
      return ApiReturnCode.SSOInternalError;
    default:
      return TesseraApiCode.MalformedRequest;
  }
}

type Koa = KoaContextWithOIDC & { [REVOKED]?: boolean };

export function auditTokenEndpoint(provider: Provider, tenantId: string, ctx: ServerContext): void {
  provider.on("grant.revoked", (koa: Koa) => {
    koa[REVOKED] = true;
  });
  provider.use(async (koa: Koa, next) => {
    const started = performance.now();
    await next();
    const route = koa.oidc?.route;
    if (route !== "token" && !(route === "revocation" && koa[REVOKED])) return;
    const body = (koa.body ?? {}) as { error?: string };
    const error = koa.status >= 400 ? (body.error ?? "server_error") : undefined;
    if (route === "token" && error !== undefined && notOutcomes.has(error)) return;
    try {
      const event = await eventOf(koa, started, error === "invalid_client");
      if (route === "token")
        await ctx.audit.append({ ...event, operation: tokenOperation(koa), resultCode: auditCodeOf(error) });
      if (koa[REVOKED])
        await ctx.audit.append({
          ...event,
          operation: "oidc.grant.revoke",
          resultCode: ApiReturnCode.Success,
        });
    } catch {
      koa.status = 500;
      koa.body = { error: "server_error", error_description: "the audit trail could not be written" };
    }
  });

  /** A client that failed to authenticate is not the actor: it is who the attempt was aimed at. */
  async function eventOf(koa: Koa, started: number, unauthenticated: boolean) {
    const clientId = koa.oidc.client?.clientId;
    const account = koa.oidc.entities.Account;
    const username =
      account === undefined
        ? undefined
        : (await account.claims("id_token", "openid", {}, [])).preferred_username;
    const requestId = koa.res.getHeader("x-request-id");
    return {
      at: ctx.clock.now(),
      tenantId,
      actor: clientId === undefined || unauthenticated ? "anonymous" : `app:${clientId}`,
      subject:
        username !== undefined
          ? `user:${String(username)}`
          : clientId === undefined
            ? null
            : `app:${clientId}`,
      sourceIp: koa.ip,
      durationMs: Math.round(performance.now() - started),
      requestId: typeof requestId === "string" ? requestId : null,
    };
  }
}

/** `oidc.token <grant type>`; a grant type no app may use is not echoed into the trail. */
function tokenOperation(koa: Koa): string {
  const grantType = koa.oidc.params?.grant_type;
  return typeof grantType === "string" && koa.oidc.client?.grantTypeAllowed(grantType)
    ? `oidc.token ${grantType}`
    : "oidc.token";
}
