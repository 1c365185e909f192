import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import type { ClientContext } from "../../src/client-context.ts";
import { type Classified, classifyFailure } from "../../src/results/classify-failure.ts";
import type { SessionData } from "../../src/session/session-data.ts";
import { DEFAULT_SCOPES } from "../../src/setup/init-options.ts";
import { openSessionStore } from "../../src/store/file-session-store.ts";
import type { SessionStore } from "../../src/store/session-store.ts";

export { observe } from "./observe.ts";

/** A signing key pair of an issuer, its public JWKS, and a signer of ID tokens with it. */
export async function issuerKeys(alg: "ES256" | "RS256", kid = `${alg.toLowerCase()}-test`) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return {
    jwks: { keys: [jwk as Record<string, unknown>] },
    sign: (claims: JWTPayload, header: { typ?: string } = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg, kid, ...header }).sign(privateKey),
  };
}

/**
 * Why the server "cannot be reached": a real refused connection to a loopback port that was just
 * closed, classified as the client classifies it (ConnectionError).
 */
export async function refusedConnection(): Promise<Classified> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  try {
    await fetch(`http://127.0.0.1:${port}/`);
  } catch (error) {
    return classifyFailure(error);
  }
  throw new Error("the closed port answered");
}

export interface OfflineClient {
  readonly ctx: ClientContext;
  readonly store: SessionStore;
  /** The client's clock: tests set it. */
  clock: { now: number };
  /** Writes the record as a sign-in (and the init's cached discovery) would. */
  save(record: Partial<SessionData>): Promise<void>;
}

/** A client context on a real sealed store in a throwaway directory, with a settable clock. */
export async function offlineClient(
  issuer: string,
  clientId: string,
  storeDir?: string,
): Promise<OfflineClient> {
  const dir = storeDir ?? (await mkdtemp(join(tmpdir(), "tessera-offline-")));
  const issuerUrl = new URL(issuer);
  const opened = await openSessionStore({
    storeDir: dir,
    issuer: issuerUrl.href,
    clientId,
    lockTimeoutMs: 10_000,
  });
  if (!opened.ok) throw new Error(opened.message);
  const store = opened.value;
  const clock = { now: Date.now() };
  const ctx: ClientContext = {
    options: {
      issuer,
      clientId,
      mode: "interactive",
      issuerUrl,
      locale: "en",
      scopes: DEFAULT_SCOPES,
      timeoutMs: 10_000,
      storeDir: dir,
      serverFetch: fetch,
    },
    store,
    server: undefined,
    registered: new Set(),
    now: () => clock.now,
  };
  return {
    ctx,
    store,
    clock,
    async save(record) {
      const written = await store.update(async (current) => {
        const next: SessionData = {
          ...(current ?? { version: 1, issuer: issuerUrl.href, clientId, generation: 0 }),
          ...record,
        };
        return { next, value: undefined };
      });
      if (!written.ok) throw new Error(written.message);
    },
  };
}
