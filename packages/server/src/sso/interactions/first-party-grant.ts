import type { KoaContextWithOIDC } from "oidc-provider";

/**
 * Single sign-on across a tenant's first-party apps (oidc-provider's loadExistingGrant recipe):
 * a browser whose provider session is signed in gets the grant of what a first-party app asks for
 * made here, so the consent prompt has nothing to ask and the app gets its code without a page.
 *
 * Only the grant is skipped, never the login: oidc-provider checks the login prompt (and Tessera's
 * second-factor check, second-factor-policy.ts) independently, so a session that did not prove
 * what the app requires still goes through the whole sign-in. Third-party apps get no grant here
 * (the pages ask for consent); native apps are still asked by oidc-provider's
 * native_client_prompt, answered by a one-click "continue as" step (RFC 8252 §8.6: another
 * program could claim the same loopback redirect and ride on the session silently).
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client;
  if (client === undefined || oidc.session === undefined) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(client.clientId);
  const existing = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
  const accountId = oidc.session.accountId;
  if (client["tessera:first_party"] !== true || accountId === undefined || oidc.result?.consent !== undefined)
    return existing;
  // A first-party app is never asked for consent, so what it asks for now (say a scope more than
  // last time) joins its grant, within the provider's scopes (oidc-provider has already refused a
  // scope the app is not allowed).
  const grant =
    existing?.accountId === accountId
      ? existing
      : new oidc.provider.Grant({ accountId, clientId: client.clientId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(" "));
  grant.addOIDCClaims([...oidc.requestParamClaims]);
  await grant.save();
  return grant;
}
