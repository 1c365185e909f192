import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import * as oidc from "openid-client";
import {
  type CodeRequest,
  createTestApp,
  createTestUser,
  signInForCode,
  type TestApp,
  type TestUser,
} from "../../../server/test/helpers/sso-grant-fixtures.ts";
import { startTestServer, type TestServer } from "../../../server/test/helpers/test-server.ts";
import type { ClientContext } from "../../src/client-context.ts";
import type { InitOptions } from "../../src/index.ts";
import { IdentityClient } from "../../src/index.ts";
import type { SessionData } from "../../src/session/session-data.ts";
import { initialize } from "../../src/setup/initialize.ts";
import { saveTokens } from "../../src/tokens/save-tokens.ts";

export { observe } from "./observe.ts";

/**
 * A real in-process server (SQLite, ManualClock) with a tenant, a user with password and TOTP, and
 * the program's native app; tests sign the user in with signInInto.
 */
export interface TokensFixture {
  readonly s: TestServer;
  readonly tenantId: string;
  readonly apiKey: string;
  readonly app: TestApp;
  readonly user: TestUser;
  readonly issuer: string;
}

export async function startTokensFixture(grantTypes: string[] = []): Promise<TokensFixture> {
  const s = await startTestServer("sqlite");
  const { tenant, apiKey } = await s.tenant();
  const user = await createTestUser(s, apiKey, "ilse");
  const app = await createTestApp(s, tenant.id, {
    kind: "native",
    grantTypes: ["authorization_code", "refresh_token", ...grantTypes] as never,
  });
  return { s, tenantId: tenant.id, apiKey, app, user, issuer: app.issuer.href };
}

export const newStoreDir = () => mkdtemp(join(tmpdir(), "tessera-tokens-"));

/**
 * The suite's fixture: started before its tests and closed after them (call it inside the suite;
 * hooks registered after it run with the fixture started; its `after` runs before theirs).
 */
export function tokensFixtureForSuite(grantTypes: string[] = []): TokensFixture {
  let started: TokensFixture | undefined;
  before(async () => {
    started = await startTokensFixture(grantTypes);
  });
  after(() => started?.s.close());
  const current = (): TokensFixture => {
    if (started === undefined) throw new Error("tokensFixtureForSuite: used outside the suite's tests");
    return started;
  };
  return {
    get s() {
      return current().s;
    },
    get tenantId() {
      return current().tenantId;
    },
    get apiKey() {
      return current().apiKey;
    },
    get app() {
      return current().app;
    },
    get user() {
      return current().user;
    },
    get issuer() {
      return current().issuer;
    },
  };
}

/** Where the program signs in: the issuer and its main client id. */
export type ProgramAt = Pick<TokensFixture, "issuer"> & { readonly app: { readonly clientId: string } };

/** The identity client's context for the program, on `storeDir` (the seam every operation uses). */
export async function programContext(fx: ProgramAt, storeDir: string): Promise<ClientContext> {
  const init = await initialize(
    { issuer: fx.issuer, clientId: fx.app.clientId, mode: "interactive", storeDir },
    Date.now,
  );
  if (init.value === undefined) throw new Error(`init failed: ${init.status} ${init.message}`);
  return init.value;
}

/** An initialised IdentityClient of the program on `storeDir` (another "process" of it). */
export async function programClient(
  fx: ProgramAt,
  storeDir: string,
  extra: Partial<InitOptions> = {},
): Promise<IdentityClient> {
  const client = new IdentityClient();
  const init = await client.init({
    issuer: fx.issuer,
    clientId: fx.app.clientId,
    mode: "interactive",
    storeDir,
    ...extra,
  });
  if (!client.initialized) throw new Error(`init failed: ${init.status} ${init.message}`);
  return client;
}

/**
 * The user signs in over HTTP (the pages, as the sign-in part's browser would) and the answer is
 * saved into the store with saveTokens, as the sign-in part does after its redirect.
 */
export async function signInInto(fx: TokensFixture, ctx: ClientContext): Promise<SessionData> {
  const server = ctx.server;
  if (server === undefined) throw new Error("the context has no server");
  const { request, callback } = await signInForCode(fx.s, fx.tenantId, server, fx.app, fx.user, {
    scope: "openid offline_access profile email",
  });
  return saveCode(ctx, request, callback);
}

/** A fresh store directory with the program's context on it and the user signed in there. */
export async function signedInProgram(
  fx: TokensFixture,
): Promise<{ storeDir: string; ctx: ClientContext; signedIn: SessionData }> {
  const storeDir = await newStoreDir();
  const ctx = await programContext(fx, storeDir);
  return { storeDir, ctx, signedIn: await signInInto(fx, ctx) };
}

/** Saves an authorization code's token answer into the store, as the sign-in part does after its redirect. */
export async function saveCode(
  ctx: ClientContext,
  request: CodeRequest,
  callback: URL,
): Promise<SessionData> {
  if (ctx.server === undefined) throw new Error("the context has no server");
  const answer = await oidc.authorizationCodeGrant(ctx.server, callback, {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
  });
  const saved = await saveTokens(ctx, answer, { signIn: true });
  if (saved.value === undefined) throw new Error(`saveTokens failed: ${saved.status} ${saved.message}`);
  return saved.value;
}

/** The discovery and JWKS in the store, as init caches them (the grace is verified against them). */
export async function cacheDiscovery(ctx: ClientContext): Promise<void> {
  const server = ctx.server;
  if (server === undefined) throw new Error("no server");
  const metadata = server.serverMetadata();
  const jwks = (await (await fetch(metadata.jwks_uri ?? "")).json()) as { keys: Record<string, unknown>[] };
  await ctx.store?.update(async (current) => ({
    next: {
      ...(current ?? {
        version: 1,
        issuer: ctx.options.issuerUrl.href,
        clientId: ctx.options.clientId,
        generation: 0,
      }),
      discovery: { metadata: { ...metadata }, jwks, fetchedAt: Date.now() },
    },
    value: undefined,
  }));
}

/** Makes the stored access token expired by the local clock, as if its lifetime had passed. */
export async function expireAccessToken(ctx: ClientContext): Promise<void> {
  const updated = await ctx.store?.update(async (current) => {
    if (current?.tokens === undefined) throw new Error("nobody is signed in");
    return {
      next: { ...current, tokens: { ...current.tokens, accessTokenExpiresAt: Date.now() - 1 } },
      value: 0,
    };
  });
  if (updated?.ok !== true) throw new Error("the store could not be updated");
}

/** The store's record as it is now. */
export async function stored(ctx: ClientContext): Promise<SessionData | undefined> {
  const read = await ctx.store?.read();
  if (read?.ok !== true) throw new Error("the store could not be read");
  return read.value;
}

/** How many refresh-token grants the server has answered (its own audit trail, GET /v1/audit). */
export async function refreshCount(fx: TokensFixture, scenario: string): Promise<number> {
  await fx.s.server.ctx.audit.flush();
  const answer = await fx.s.api("GET", "/v1/audit?limit=500", { apiKey: fx.apiKey, scenario });
  const events = answer.body.events as { operation: string; resultCode: number }[];
  return events.filter((e) => e.operation === "oidc.token refresh_token" && e.resultCode === 0).length;
}

/**
 * The server's view of a token: introspection by the app the token was issued to (Tessera lets an
 * app introspect only its own tokens; the program's app is public, so it authenticates with none).
 */
export async function introspect(ctx: ClientContext, token: string): Promise<oidc.IntrospectionResponse> {
  if (ctx.server === undefined) throw new Error("the context has no server");
  return oidc.tokenIntrospection(ctx.server, token);
}
