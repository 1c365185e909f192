import type Provider from "oidc-provider";
import { errors, type TokenEndpointGrantContext } from "oidc-provider";

/**
 * The client-credentials grant, registered in place of oidc-provider's own so that Tessera's rules
 * hold whatever an app row says:
 * - confidential apps only: a public app (no secret, `none` at the token endpoint) proves nothing
 *   about who is asking, so it never gets a token of its own (unauthorized_client);
 * - no scope beyond the app's: oidc-provider checks only the scopes it knows (openid, profile...)
 *   against the app's list and would pass any other string into the token; here every requested
 *   scope must be one of the app's (invalid_scope).
 *
 * The token is opaque and stored (hashed, sealed) in sso_models like every other token: it can be
 * introspected and revoked at once, and deleting the app revokes it. A JWT (resource indicators)
 * would save the one insert per grant but could not be revoked before its expiry; the insert is
 * the cheaper side on both backends (one indexed row, no signature).
 */
export function registerClientCredentials(provider: Provider): void {
  provider.registerGrantType(
    "client_credentials",
    async (ctx: TokenEndpointGrantContext<{ scope?: string }>) => {
      const { client, params } = ctx.oidc;
      if (client.clientAuthMethod === "none") {
        throw new errors.UnauthorizedClient("client credentials are for confidential apps only");
      }
      const allowed = new Set((client.scope ?? "").split(" ").filter((s) => s !== ""));
      const requested = [...new Set((params.scope ?? "").split(" ").filter((s) => s !== ""))];
      const refused = requested.filter((scope) => !allowed.has(scope));
      if (refused.length > 0)
        throw new errors.InvalidScope("requested scope is not allowed", refused.join(" "));

      const token = new provider.ClientCredentials({
        client,
        ...(requested.length === 0 ? {} : { scope: requested.join(" ") }),
      });
      ctx.oidc.entity("ClientCredentials", token);
      const value = await token.save();
      ctx.body = {
        access_token: value,
        expires_in: token.expiration,
        token_type: token.tokenType,
        ...(token.scope === undefined ? {} : { scope: token.scope }),
      };
    },
    ["scope"],
  );
}
