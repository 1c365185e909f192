import { errors } from "oidc-provider";
import { cutText } from "../../app/echoed-text.ts";
import type { ServerContext } from "../../app/server-context.ts";
import { findForUser } from "../../authenticators/authenticator-store.ts";
import { findTenant } from "../../tenants/tenant-store.ts";
import type { App } from "../apps/app.ts";
import { appOf, findAppRow } from "../apps/app-store.ts";
import { factorsFor } from "../interactions/factors/registry.ts";
import { ExchangeRefused, TargetNotRegistered, targetRefused } from "./exchange-refusals.ts";
import type { ExchangeSubject } from "./exchange-subject.ts";

/**
 * The app a token exchange asks a token for (`audience`): one of the tenant's own apps. A client
 * id no app of this tenant has (made up, or another tenant's) is `invalid_target` flagged as not
 * registered; a third-party app is `invalid_target` without the flag: it exists, but a token of
 * the tenant's program must not reach an app its users consent to one by one.
 */
/** Client ids are 22 characters; anything much longer is not one, and is not looked up. */
const MAX_AUDIENCE_LENGTH = 200;

export async function findTarget(ctx: ServerContext, tenantId: string, audience: string): Promise<App> {
  if (audience.length > MAX_AUDIENCE_LENGTH) throw new TargetNotRegistered();
  const row = await findAppRow(ctx, tenantId, audience);
  if (row === undefined) throw new TargetNotRegistered();
  const app = appOf(row);
  if (!app.firstParty) throw targetRefused("the audience is not one of the tenant's own apps");
  return app;
}

/**
 * A target that the sign-in pages would not let in without a second factor (the app requires
 * one, or the tenant does, or the user has a factor the target accepts, which the pages ask
 * anyone for: sso/interactions/second-factor-policy.ts asks the same) gets a token only from a
 * sign-in whose amr has `otp`; a password-only sign-in, or a PAT, must sign in again. (A program
 * whose own app accepts only factors the user lacks signs in with the password alone.)
 */
export async function requireTargetFactor(
  ctx: ServerContext,
  tenantId: string,
  target: App,
  subject: ExchangeSubject,
): Promise<void> {
  if (subject.amr.includes("otp")) return;
  const tenant = await findTenant(ctx.database.db, tenantId);
  if (!target.requireSecondFactor && tenant?.ssoSecondFactor === "optional") {
    const authenticators = await findForUser(ctx.database.db, subject.accountId);
    if (!factorsFor(target).some((factor) => factor.usable(authenticators).length > 0)) return;
  }
  throw new ExchangeRefused(
    "no second factor proved",
    "the target app requires a second factor, which this sign-in did not prove",
  );
}

/**
 * The scopes of the issued token: those asked for (else all) that the target app allows AND the
 * subject token holds: an exchange never widens what the sign-in was granted. offline_access
 * never (no refresh token is issued). None left is invalid_scope.
 */
const MAX_ECHOED_SCOPE = 200;

export function exchangedScope(target: App, subject: ExchangeSubject, requested: string | undefined): string {
  const held = new Set(subject.scope.split(" "));
  const asked = requested === undefined ? undefined : new Set(requested.split(" "));
  const granted = target.scopes.filter(
    (scope) => scope !== "offline_access" && held.has(scope) && (asked === undefined || asked.has(scope)),
  );
  if (granted.length === 0)
    throw new errors.InvalidScope(
      "none of the requested scopes can be granted for the audience",
      // Echoed cut, as the API echoes text: a request of 60 KB of scopes gets no 60 KB back.
      cutText(requested ?? "", MAX_ECHOED_SCOPE),
    );
  return granted.join(" ");
}
