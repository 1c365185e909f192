import { interactionPolicy } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { findTenant } from "../../tenants/tenant-store.ts";

const { Check, base } = interactionPolicy;

/**
 * oidc-provider's prompts with one more login check: a browser session is reused only when it
 * proved what the app and the tenant require now. A session signed in with the password alone
 * (a tenant with `ssoSecondFactor` optional, a user without a factor) would otherwise let the
 * browser into an app that requires a second factor, or into any app once the tenant requires
 * one, without the pages ever asking: then the login prompt is requested, and the pages run the
 * whole sign-in (where a user without a factor gets SystemTwoFactorNotSet).
 */
export function signInPolicy(ctx: ServerContext, tenantId: string) {
  const policy = base();
  policy.get("login")?.checks.add(
    new Check("second_factor_required", "a second factor is required", async (koa) => {
      const session = koa.oidc.session;
      if (session === undefined || session.accountId === undefined) return Check.NO_NEED_TO_PROMPT;
      if ((session.amr ?? []).includes("otp")) return Check.NO_NEED_TO_PROMPT;
      if (koa.oidc.client?.["tessera:require_second_factor"] === true) return Check.REQUEST_PROMPT;
      const tenant = await findTenant(ctx.database.db, tenantId);
      return tenant?.ssoSecondFactor === "optional" ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
