import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult } from "../results/identity-result.ts";
import { openSessionStore } from "../store/file-session-store.ts";
import { checkClientRegistered } from "./client-registration.ts";
import { discoverIssuer } from "./discover-issuer.ts";
import { cachedDiscovery, saveDiscovery } from "./discovery-cache.ts";
import type { InitOptions } from "./init-options.ts";
import { resolveOptions } from "./validate-options.ts";

export { isLoopback } from "./validate-options.ts";

/**
 * init: checks the options (Failed naming the option), opens the shared store (interactive mode;
 * batch keeps its credentials and tokens in this process only), discovers the issuer and checks
 * the client id, and caches discovery and the JWKS in the store. When discovery fails and the
 * store holds a cached discovery for this issuer, init succeeds offline (server undefined: every
 * call then decides Offline or SignInRequired, offline/).
 */
export async function initialize(
  options: InitOptions,
  now: () => number,
): Promise<IdentityResult<ClientContext>> {
  const resolved = resolveOptions(options, process.env);
  if (typeof resolved === "string") return fail(IdentityStatusCode.Failed, resolved);
  let store: ClientContext["store"];
  if (resolved.mode === "interactive") {
    const opened = await openSessionStore({
      ...(resolved.storeDir === undefined ? {} : { storeDir: resolved.storeDir }),
      issuer: resolved.issuerUrl.href,
      clientId: resolved.clientId,
      lockTimeoutMs: resolved.timeoutMs,
    });
    if (!opened.ok) return fail(opened.status, opened.message);
    store = opened.value;
  }
  const context = (server: ClientContext["server"]): ClientContext => ({
    options: resolved,
    store,
    server,
    registered: new Set(),
    now,
  });
  const discovered = await discoverIssuer(resolved);
  if (!discovered.ok) {
    const cached =
      discovered.status === IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized &&
      store !== undefined
        ? await cachedDiscovery(store, resolved.issuerUrl)
        : undefined;
    if (cached === undefined) return fail(discovered.status, discovered.message);
    return {
      status: IdentityStatusCode.Success,
      value: context(undefined),
      message: `offline: ${discovered.message}; working from the discovery cached at ${new Date(cached.fetchedAt).toISOString()}`,
    };
  }
  const unregistered = await checkClientRegistered(resolved, discovered.discovery.metadata);
  if (unregistered !== undefined && "status" in unregistered)
    return fail(unregistered.status, unregistered.message);
  if (store !== undefined) {
    const saved = await saveDiscovery(store, resolved.issuerUrl.href, resolved.clientId, {
      ...discovered.discovery,
      fetchedAt: now(),
    });
    if (!saved.ok) return fail(saved.status, saved.message);
  }
  const note = unregistered?.note;
  return {
    status: IdentityStatusCode.Success,
    value: context(discovered.server),
    ...(note === undefined ? {} : { message: note }),
  };
}
