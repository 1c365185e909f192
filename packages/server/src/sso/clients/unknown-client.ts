import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";

/**
 * An unknown client id gets an answer of its own, so that a program can tell "this issuer does
 * not know my client id" (a configuration error: the identity client's ClientIdNotRegistered) from
 * "my credentials are wrong": `invalid_client` with `tessera_client_not_registered: true` and the
 * description below. It says nothing the client information endpoint does not say: whether an id
 * is registered at this issuer (another tenant's app is not). A known app with a wrong secret
 * stays oidc-provider's plain `invalid_client`, which tells nothing about the secret.
 *
 * oidc-provider authenticates the client at the token, device authorization, revocation and
 * introspection endpoints and sets the request's Client only once the id is found; so an
 * `invalid_client` without a Client is exactly an unknown id. Each endpoint's error event is
 * emitted after its JSON answer is set and before it leaves, which is where it is amended.
 */
export const notRegistered = {
  error: "invalid_client",
  error_description: "the client id is not registered at this issuer",
  tessera_client_not_registered: true,
} as const;

export function answerUnknownClients(provider: Provider): void {
  const amend = (koa: KoaContextWithOIDC, error: { error?: unknown }) => {
    const body = koa.body as Record<string, unknown> | null | undefined;
    if (error.error !== "invalid_client" || koa.oidc.client !== undefined) return;
    // A page (a browser asked for HTML) is left as it is: programs ask for JSON.
    if (typeof body !== "object" || body === null || Buffer.isBuffer(body)) return;
    koa.body = { ...body, ...notRegistered };
  };
  provider.on("grant.error", amend);
  provider.on("device_authorization.error", amend);
  provider.on("revocation.error", amend);
  provider.on("introspection.error", amend);
}
