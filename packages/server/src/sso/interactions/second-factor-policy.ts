import { interactionPolicy, type KoaContextWithOIDC } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { findForUser } from "../../authenticators/authenticator-store.ts";
import { evaluateAccess } from "../../policies/evaluate-access.ts";
import { findTenant } from "../../tenants/tenant-store.ts";
import { appForSignIn } from "../tokens/account-client.ts";
import { factorsFor } from "./factors/registry.ts";
import { ACTION_PARAM } from "./key-action.ts";

const { Check, base } = interactionPolicy;

/**
 * oidc-provider's prompts with more login checks: a browser session is reused only when the
 * pages would let this person in now. Where a check fails the login prompt is requested, and
 * the pages run the whole sign-in, which refuses (or asks for the factor) with its own audited
 * code. Four checks:
 * - second_factor_required: a session signed in with the password alone (a tenant with
 *   `ssoSecondFactor` optional, a user without a factor) is not reused for an app that requires
 *   a second factor, nor once the tenant requires one (where a user without a factor gets
 *   SystemTwoFactorNotSet);
 * - second_factor_enrolled: nor once the user has a factor the app accepts (enrolled after that
 *   session began): the pages ask anyone who has one for it, so the session must not skip it;
 * - access_policy: the tenant's and the app's day, time and address rules, evaluated for the
 *   session's account from the browser's address now, as at the password step. A session begun
 *   at 10:00 in an 09:00-12:00 window is not reused at 18:00. The daily allowance counts
 *   interactive sign-ins only (docs/sso.md "Access policies"), so a reuse does not count.
 * And application_action, below.
 */
export function signInPolicy(ctx: ServerContext, tenantId: string) {
  const policy = base();
  const login = policy.get("login");
  const passwordOnly = (koa: KoaContextWithOIDC) => {
    const session = koa.oidc.session;
    if (session?.accountId === undefined) return undefined;
    return (session.amr ?? []).includes("otp") ? undefined : session.accountId;
  };
  login?.checks.add(
    new Check("second_factor_required", "a second factor is required", async (koa) => {
      if (passwordOnly(koa) === undefined) return Check.NO_NEED_TO_PROMPT;
      if (koa.oidc.client?.["tessera:require_second_factor"] === true) return Check.REQUEST_PROMPT;
      const tenant = await findTenant(ctx.database.db, tenantId);
      return tenant?.ssoSecondFactor === "optional" ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  login?.checks.add(
    new Check("second_factor_enrolled", "the account has a second factor now", async (koa) => {
      const accountId = passwordOnly(koa);
      const clientId = koa.oidc.client?.clientId;
      if (accountId === undefined || clientId === undefined) return Check.NO_NEED_TO_PROMPT;
      const app = await appForSignIn(ctx, tenantId, clientId);
      if (app === undefined) return Check.REQUEST_PROMPT;
      const authenticators = await findForUser(ctx.database.db, accountId);
      // As the pages decide (sign-in-flow.ts): a factor that repeats the session's first one (the
      // key after a passkey without UV) is no second factor, so it calls nobody back.
      const proved = koa.oidc.session?.amr ?? [];
      const usable = factorsFor(app, proved).some((factor) => factor.usable(authenticators).length > 0);
      return usable ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  login?.checks.add(
    // An application-initiated action (key-action.ts) implies prompt=login: a key is added only
    // by someone who proved every factor in this very interaction, never on the strength of a
    // browser session (possibly hours old, or someone else's at a shared computer). Once the
    // pages gave their login result (resume), the check is met.
    new Check("application_action", "the app asked for an action after a fresh sign-in", (koa) =>
      koa.oidc.params?.[ACTION_PARAM] !== undefined && koa.oidc.result?.login === undefined
        ? Check.REQUEST_PROMPT
        : Check.NO_NEED_TO_PROMPT,
    ),
  );
  login?.checks.add(
    new Check("access_policy", "an access policy refuses this session now", async (koa) => {
      const accountId = koa.oidc.session?.accountId;
      if (accountId === undefined) return Check.NO_NEED_TO_PROMPT;
      // Not audited here: the pages the browser is sent to deny with the audited code.
      const decision = await evaluateAccess(ctx, {
        tenantId,
        clientId: koa.oidc.client?.clientId,
        userId: accountId,
        address: koa.ip,
        only: "rules",
      });
      return decision.denied === undefined ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
