import type { ServerContext } from "../../app/server-context.ts";
import type { App } from "../../sso/apps/app.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";

/** Who a ceremony is for: the relying party id and name, and the origins its responses may come from. */
export interface RelyingParty {
  readonly id: string;
  readonly name: string;
  readonly origins: readonly string[];
}

/**
 * FOUNDATION STUB (owned by the registration part): the tenant's relying party, with the app's
 * own origins added when a ceremony is for an app. Defaults: the host of publicUrl as id, the
 * tenant's name, publicUrl's origin.
 */
export function relyingPartyFor(ctx: ServerContext, tenant: Tenant, app?: App): RelyingParty {
  const base = new URL(ctx.publicUrl);
  return {
    id: tenant.webauthnRpId ?? base.hostname,
    name: tenant.webauthnRpName ?? tenant.name,
    origins: [
      ...(tenant.webauthnOrigins.length > 0 ? tenant.webauthnOrigins : [base.origin]),
      ...(app === undefined ? [] : []),
    ],
  };
}
