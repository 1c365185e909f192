import type { TenantProviders } from "../provider/tenant-providers.ts";
import { signOfflineGrace } from "./offline-grace-claim.ts";
import { answerRefreshTokenExpiry } from "./refresh-token-expiry.ts";
import { answerUnknownClients } from "./unknown-client.ts";

/**
 * What the issuer tells a program (the identity client, docs/sso.md "Programs with the identity
 * client") beyond standard OpenID Connect, on every tenant's provider as it is made: the offline
 * grace claim in ID tokens, the refresh token's remaining lifetime in token answers and a distinct
 * answer for a client id the issuer does not know. (The client information endpoint is a route:
 * client-info-routes.ts.)
 */
export function installClientAnswers(sso: TenantProviders): void {
  sso.onCreate((provider, tenantId, ctx) => {
    signOfflineGrace(provider);
    answerRefreshTokenExpiry(provider, tenantId, ctx);
    answerUnknownClients(provider);
  });
}
