import type { CachedDiscovery } from "../session/session-data.ts";
import { emptySession } from "../session/session-data.ts";
import type { SessionStore } from "../store/session-store.ts";
import type { StoreResult } from "../store/store-result.ts";

/**
 * Discovery metadata and the JWKS kept in the shared store (SessionData.discovery) after every
 * successful init, so that a process started while the server is unreachable can still init and
 * verify the tokens it holds (the offline decision is offline/'s).
 */
export function saveDiscovery(
  store: SessionStore,
  issuer: string,
  clientId: string,
  discovery: CachedDiscovery,
): Promise<StoreResult<undefined>> {
  return store.update(async (current) => ({
    next: { ...(current ?? emptySession(issuer, clientId)), discovery },
    value: undefined,
  }));
}

/** The cached discovery for `issuer`, when the store holds one made for it. */
export async function cachedDiscovery(
  store: SessionStore,
  issuer: URL,
): Promise<CachedDiscovery | undefined> {
  const read = await store.read();
  const discovery = read.ok ? read.value?.discovery : undefined;
  if (discovery === undefined) return undefined;
  try {
    const cachedIssuer = new URL(String(discovery.metadata.issuer)).href;
    return cachedIssuer === issuer.href && typeof discovery.metadata.token_endpoint === "string"
      ? discovery
      : undefined;
  } catch {
    return undefined;
  }
}
