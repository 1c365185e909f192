import { errors, type KoaContextWithOIDC } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { findTenant, type Tenant } from "../../tenants/tenant-store.ts";
import type { App } from "../apps/app.ts";
import { appForSignIn } from "../tokens/account-client.ts";
import { factorNamed } from "./factors/registry.ts";
import { webauthnFactor } from "./factors/webauthn.ts";
import type { SignIn } from "./sign-in-context.ts";

/**
 * An application-initiated action (Keycloak's `kc_action`): the app adds
 * `tessera_action=register-security-key` to its authorization request, the person signs in as
 * usual (all factors, never from the provider session: see signInPolicy) and is then asked to
 * register a security key or passkey (register-key-step.ts) before the app gets its code.
 */
export const ACTION_PARAM = "tessera_action";
export const REGISTER_KEY = "register-security-key";

/**
 * A key registered after sign-in adds a factor to the account, which is what the tenant's
 * self-enrolment setting governs; and the key must be one the app would accept at sign-in
 * (its allowed factors), or the app asked for something it cannot use. Checked when the
 * request arrives and again at every step (the settings may change in between: fail closed).
 */
export const keyActionAllowed = (tenant: Tenant, app: App): boolean =>
  tenant.ssoSelfEnrolment && factorNamed(app, webauthnFactor.type) !== undefined;

/** The sign-in's authorization request asked for a key (oidc-provider kept the parameter). */
export const keyActionAsked = (s: SignIn): boolean => s.interaction.params[ACTION_PARAM] === REGISTER_KEY;

/**
 * oidc-provider's `extraParams` validator: an action the server does not know, or one this tenant
 * or app does not allow, is refused as `invalid_request` back to the app (its redirect URI is
 * already checked here), rather than ignored: an app that asked for a key and silently got none
 * would believe the account has one. A device (RFC 8628) has no browser for the step: refused too.
 */
export function actionValidator(ctx: ServerContext, tenantId: string) {
  return async (koa: KoaContextWithOIDC, value: string | undefined): Promise<void> => {
    if (value === undefined) return;
    if (koa.oidc.route !== "authorization")
      throw new errors.InvalidRequest(`${ACTION_PARAM} is accepted by the authorization endpoint only`);
    if (value !== REGISTER_KEY) throw new errors.InvalidRequest(`unknown ${ACTION_PARAM} value`);
    const clientId = koa.oidc.client?.clientId;
    const [tenant, app] = await Promise.all([
      findTenant(ctx.database.db, tenantId),
      clientId === undefined ? undefined : appForSignIn(ctx, tenantId, clientId),
    ]);
    if (tenant === undefined || app === undefined || !keyActionAllowed(tenant, app))
      throw new errors.InvalidRequest(
        `${ACTION_PARAM}=${REGISTER_KEY} needs self-enrolment in the tenant and an app that accepts security keys`,
      );
  };
}
