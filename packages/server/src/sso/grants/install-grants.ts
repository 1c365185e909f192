import type { TenantProviders } from "../provider/tenant-providers.ts";
import { registerClientCredentials } from "./client-credentials.ts";
import { answerPolicyRefusals } from "./grant-policy.ts";
import { auditTokenEndpoint } from "./token-audit.ts";
import { registerTokenExchange } from "./token-exchange.ts";
import { limitUserCodeAttempts } from "./user-code-attempts.ts";

/**
 * Tessera's grant rules (client credentials, token exchange), token-endpoint auditing and the
 * user-code page's attempt limit, on every tenant's provider as it is made.
 */
export function installGrants(sso: TenantProviders): void {
  sso.onCreate((provider, tenantId, ctx) => {
    registerClientCredentials(provider);
    auditTokenEndpoint(provider, tenantId, ctx);
    limitUserCodeAttempts(provider, tenantId, ctx);
    answerPolicyRefusals(provider);
    registerTokenExchange(provider, tenantId, ctx);
  });
}
