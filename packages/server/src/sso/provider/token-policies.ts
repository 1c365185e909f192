import type { Client, KoaContextWithOIDC } from "oidc-provider";
import { errors } from "oidc-provider";

/**
 * Who may introspect or revoke a token at `<issuer>/token/introspection` and `/token/revocation`.
 *
 * oidc-provider's default lets any confidential app introspect every token of the issuer: one
 * app of a tenant could read who is signed in to the others, with which scopes, until when.
 * Tessera has no resource-server apps (an API that accepts other apps' tokens verifies them
 * itself, or with its own app's tokens), so an app learns about the tokens issued to itself only;
 * any other token is simply `{"active": false}`, as an unknown one is, which tells the asking app
 * nothing about it.
 *
 * Revocation follows RFC 7009 §2.1: only the app a token was issued to may revoke it. Another
 * confidential app is refused with invalid_request; a public app (anyone can be one) gets the
 * same 200 as for an unknown token, so the endpoint is no oracle for tokens it cannot hold.
 */
type Token = { readonly clientId?: string | undefined };

export function introspectionAllowed(_ctx: KoaContextWithOIDC, client: Client, token: Token): boolean {
  return token.clientId === client.clientId;
}

export function revocationAllowed(_ctx: KoaContextWithOIDC, client: Client, token: Token): boolean {
  if (token.clientId === client.clientId) return true;
  if (client.clientAuthMethod === "none") return false;
  throw new errors.InvalidRequest("client is not authorized to revoke the presented token");
}
