import type { ClientContext } from "../client-context.ts";

/**
 * Asks the issuer's client information endpoint (`tessera_client_info_endpoint`, `GET
 * <endpoint>/<client id>`) whether a further client id is registered there. `false` only on the
 * server's distinct answer (404 with `tessera_client_not_registered`); `undefined` when the server
 * could not say (unreachable, rate limited, an issuer without the endpoint): the token exchange
 * decides later, as distinctly. The endpoint must be on the issuer's origin.
 */
export async function isKnownToServer(ctx: ClientContext, clientId: string): Promise<boolean | undefined> {
  const endpoint = ctx.server?.serverMetadata().tessera_client_info_endpoint;
  if (typeof endpoint !== "string") return undefined;
  try {
    const url = new URL(`${endpoint.replace(/\/+$/, "")}/${encodeURIComponent(clientId)}`);
    if (url.origin !== ctx.options.issuerUrl.origin) return undefined;
    const response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(ctx.options.timeoutMs),
    });
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (response.status === 404 && body?.tessera_client_not_registered === true) return false;
    return response.ok && body?.client_id === clientId ? true : undefined;
  } catch {
    return undefined;
  }
}
