import type Provider from "oidc-provider";

/**
 * Refresh tokens made the way the authorization-code grant makes them (a grant with the
 * `openid offline_access` scope, then a refresh token of that grant), stored by the provider's own
 * adapter: each is used once by the benchmark, since every refresh rotates the token.
 */
export async function seedRefreshTokens(
  provider: Provider,
  clientId: string,
  accountId: string,
  count: number,
): Promise<string[]> {
  const client = await provider.Client.find(clientId);
  if (client === undefined) throw new Error(`no client ${clientId}`);
  const scope = "openid offline_access";
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const token = new provider.RefreshToken({ accountId, client, grantId, scope, gty: "authorization_code" });
    tokens.push(await token.save());
  }
  return tokens;
}
