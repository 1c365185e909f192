import type { TenantProviders } from "../provider/tenant-providers.ts";
import { registerClientCredentials } from "./client-credentials.ts";
import { auditTokenEndpoint } from "./token-audit.ts";

/** Tessera's grant rules and token-endpoint auditing, on every tenant's provider as it is made. */
export function installGrants(sso: TenantProviders): void {
  sso.onCreate((provider, tenantId, ctx) => {
    registerClientCredentials(provider);
    auditTokenEndpoint(provider, tenantId, ctx);
  });
}
