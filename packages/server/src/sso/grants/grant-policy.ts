import { byValue } from "@tessera/codes";
import type Provider from "oidc-provider";
import { errors, type KoaContextWithOIDC } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { decideAccess } from "../../policies/access-decision.ts";

/**
 * The access policies at the token endpoint: a refresh token or a device code gets new tokens only
 * while the tenant's and the app's day, time and address rules let its user in now, from the
 * address asking (a refresh at 18:00 outside an 09:00-12:00 window is refused, and works again
 * tomorrow at 10:00: the refresh token is not consumed by the refusal). The daily allowance counts
 * interactive sign-ins only (docs/sso.md "Access policies").
 *
 * Evaluated where oidc-provider loads the account for these grants (sso/provider/find-account.ts),
 * which is before anything is issued (and, for a refresh token, before it is rotated). A refusal
 * is OAuth `invalid_grant` whose JSON also carries errorCode/errorName of the SSOPolicy* code; the
 * outcomes are in the audit trail (policies/outcome-audit.ts) beside the token event.
 */
const policyGrants = new Set(["refresh_token", "urn:ietf:params:oauth:grant-type:device_code"]);

class PolicyRefused extends errors.InvalidGrant {
  readonly tesseraCode: number;
  constructor(code: number) {
    super("access denied by policy");
    this.tesseraCode = code;
    this.error_description = "access is not allowed now";
  }
}

/** Throws PolicyRefused when a policy denies this grant's user now; other requests pass. */
export async function checkGrantPolicy(
  ctx: ServerContext,
  tenantId: string,
  koa: KoaContextWithOIDC | undefined,
  userId: string,
): Promise<void> {
  const grantType = koa?.oidc?.route === "token" ? koa.oidc.params?.grant_type : undefined;
  if (koa === undefined || typeof grantType !== "string" || !policyGrants.has(grantType)) return;
  const requestId = koa.res.getHeader("x-request-id");
  const decision = await decideAccess(ctx, {
    tenantId,
    clientId: koa.oidc.client?.clientId,
    userId,
    address: koa.ip,
    requestId: typeof requestId === "string" ? requestId : undefined,
    only: "rules",
  });
  if (decision.denied !== undefined) throw new PolicyRefused(decision.denied);
}

/** The policy's code beside OAuth's error (oidc-provider has written its body when it emits this). */
export function answerPolicyRefusals(provider: Provider): void {
  provider.on("grant.error", (koa, error) => {
    if (!(error instanceof PolicyRefused)) return;
    koa.body = {
      ...(koa.body as Record<string, unknown>),
      errorCode: error.tesseraCode,
      errorName: byValue("api", error.tesseraCode)?.name ?? "",
      errorMessage: error.error_description,
    };
  });
}
