import type * as oidc from "openid-client";
import type { ClientContext } from "../../src/client-context.ts";
import { openSessionStore } from "../../src/store/file-session-store.ts";

/** The issuer and client id the event tests' processes share a store for (nothing is contacted). */
export const issuer = "http://127.0.0.1:9/oidc/events-tenant";
export const clientId = "events-app";

/** A client context on the shared store in `storeDir`, as init builds it, without a server. */
export async function storeContext(storeDir: string): Promise<ClientContext> {
  const opened = await openSessionStore({ storeDir, issuer, clientId, lockTimeoutMs: 10_000 });
  if (!opened.ok) throw new Error(opened.message);
  return {
    options: {
      issuer,
      clientId,
      mode: "interactive",
      storeDir,
      issuerUrl: new URL(issuer),
      locale: "en",
      scopes: ["openid"],
      timeoutMs: 10_000,
      serverFetch: fetch,
    },
    store: opened.value,
    server: undefined,
    registered: new Set(),
    now: Date.now,
  };
}

/** A token endpoint answer as openid-client hands it to saveTokens (no ID token). */
export const tokenAnswer = (
  accessToken: string,
): Parameters<typeof import("../../src/tokens/save-tokens.ts").saveTokens>[1] =>
  ({
    access_token: accessToken,
    token_type: "bearer",
    expires_in: 300,
    claims: () => undefined,
    expiresIn: () => 300,
  }) as unknown as oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
