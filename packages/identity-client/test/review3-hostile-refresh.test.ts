import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, beforeEach, test } from "node:test";
import { recordObservedCode } from "@tessera/codes/coverage";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { IdentityClient, type IdentityResult, IdentityStatusCode } from "../src/index.ts";
import type { SessionData, TokenSet } from "../src/session/session-data.ts";
import { openSessionStore } from "../src/store/file-session-store.ts";
import type { SessionStore } from "../src/store/session-store.ts";
import { type FakeIssuer, type Handler, json, startFakeIssuer } from "./helpers/setup-fake-issuer.ts";

/**
 * A hostile or broken issuer after the sign-in: a refresh answer or a userinfo answer about
 * another user. OpenID Connect Core §12.2: a refreshed ID token's `sub` MUST be the original one;
 * the client must not quietly become somebody else (with the first user's profile and tokens for
 * other client ids still beside the second user's tokens).
 */
const observe = <T>(result: IdentityResult<T>, scenario: string): IdentityResult<T> => {
  recordObservedCode("identity", result.status, scenario);
  return result;
};

const CLIENT_ID = "notes-app";
let fake: FakeIssuer;
let storeDir: string;
let signIdToken: (sub: string) => Promise<string>;
const dirs: string[] = [];

beforeEach(async () => {
  fake = await startFakeIssuer(CLIENT_ID);
  storeDir = await mkdtemp(join(tmpdir(), "review3-refresh-"));
  dirs.push(storeDir);
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  fake.on("/jwks", json(200, { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] }));
  signIdToken = (sub) =>
    new SignJWT({ auth_time: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "JWT" })
      .setIssuer(fake.issuer)
      .setAudience(CLIENT_ID)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
});
afterEach(() => fake.close());
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function initClient(browser?: string): Promise<{ client: IdentityClient; store: SessionStore }> {
  const client = new IdentityClient();
  const init = await client.init({
    issuer: fake.issuer,
    clientId: CLIENT_ID,
    mode: "interactive",
    storeDir,
    ...(browser === undefined ? {} : { browser }),
  });
  assert.equal(init.status, IdentityStatusCode.Success, init.message);
  const opened = await openSessionStore({
    storeDir,
    issuer: new URL(fake.issuer).href,
    clientId: CLIENT_ID,
    lockTimeoutMs: 5_000,
  });
  assert.ok(opened.ok);
  return { client, store: opened.value };
}

/** user-a signed in (as a sign-in would have saved it), with `tokens` over the defaults. */
async function seedUserA(store: SessionStore, tokens: Partial<TokenSet>, profile = true): Promise<void> {
  const idToken = await signIdToken("user-a");
  await store.update(async (current) => {
    assert.ok(current !== undefined);
    const next: SessionData = {
      ...current,
      tokens: {
        accessToken: "at-user-a",
        accessTokenExpiresAt: Date.now() + 3_600_000,
        refreshToken: "rt-user-a",
        idToken,
        obtainedAt: Date.now() - 1000,
        ...tokens,
      },
      clientTokens: { "other-app": { accessToken: "exchanged-user-a", expiresAt: Date.now() + 3_600_000 } },
      ...(profile
        ? { profile: { subject: "user-a", email: "a@example.test", claims: { sub: "user-a" } } }
        : {}),
      generation: current.generation + 1,
    };
    return { next, value: undefined };
  });
}

test("a refresh answered with an ID token for another subject does not make the client that user", async () => {
  const { client, store } = await initClient();
  await seedUserA(store, { accessTokenExpiresAt: Date.now() - 60_000 });
  fake.on("/token", async (request, response, body) =>
    json(200, {
      access_token: "at-user-b",
      token_type: "Bearer",
      expires_in: 300,
      refresh_token: "rt-user-b",
      id_token: await signIdToken("user-b"),
    })(request, response, body),
  );
  try {
    const token = observe(await client.getAccessToken(), "getAccessToken: refresh for another subject");
    assert.equal(fake.hits.get("/oidc/tenant-1/token"), 1, "the refresh was not even tried");
    assert.notEqual(token.value, "at-user-b", "user-b's token was handed out as user-a's");
    assert.equal(token.status, IdentityStatusCode.SignInRequired, "the sign-in ends, fail closed");
    const stored = await store.read();
    assert.ok(stored.ok);
    assert.notEqual(stored.value?.tokens?.accessToken, "at-user-b", "user-b's tokens are in user-a's store");
    assert.equal(stored.value?.tokens, undefined, "user-a's tokens are not kept either");
    const data = observe(await client.authenticationData(), "authenticationData after a foreign refresh");
    assert.notEqual(data.value?.subject, "user-b");
  } finally {
    client.close();
  }
});

test("a userinfo answer about another subject is not cached as the user's profile (none cached before)", async () => {
  const { client, store } = await initClient();
  await seedUserA(store, {}, false);
  fake.on("/me", json(200, { sub: "user-b", email: "b@example.test" }));
  try {
    const profile = observe(await client.getUserProfile(), "getUserProfile: userinfo for another subject");
    assert.equal(fake.hits.get("/oidc/tenant-1/me"), 1);
    assert.notEqual(profile.value?.subject, "user-b", "user-b's profile was answered for user-a");
    assert.notEqual(profile.status, IdentityStatusCode.Success);
    const stored = await store.read();
    assert.ok(stored.ok);
    assert.equal(stored.value?.profile, undefined, "user-b's profile was cached");
  } finally {
    client.close();
  }
});

/** A refresh answer from a broken token endpoint: `lifetime` is its expires_in (undefined: left out). */
const refreshAnswer =
  (lifetime: unknown): Handler =>
  async (request, response, body) =>
    json(200, {
      access_token: `at-user-a-${fake.hits.get("/oidc/tenant-1/token")}`,
      token_type: "Bearer",
      ...(lifetime === undefined ? {} : { expires_in: lifetime }),
      refresh_token: "rt-user-a-2",
      id_token: await signIdToken("user-a"),
    })(request, response, body);

test("a refresh answer without expires_in: the token is not refreshed again on every call", async () => {
  // RFC 6749 §5.1 makes expires_in only RECOMMENDED; a token taken as expired at once would send
  // every getAccessToken of every process to the token endpoint.
  const { client, store } = await initClient();
  await seedUserA(store, { accessTokenExpiresAt: Date.now() - 60_000 });
  fake.on("/token", refreshAnswer(undefined));
  try {
    for (let i = 0; i < 3; i++) {
      const token = observe(await client.getAccessToken(), "getAccessToken: refresh without expires_in");
      assert.equal(token.status, IdentityStatusCode.Success, token.message);
    }
    assert.equal(fake.hits.get("/oidc/tenant-1/token"), 1, "every call refreshed");
  } finally {
    client.close();
  }
});

for (const lifetime of [1e306, 2 ** 53, Number.MAX_SAFE_INTEGER])
  test(`a refresh answer with expires_in ${lifetime}: the store keeps a real expiry, not Infinity/null`, async () => {
    const { client, store } = await initClient();
    await seedUserA(store, { accessTokenExpiresAt: Date.now() - 60_000 });
    fake.on("/token", refreshAnswer(lifetime));
    try {
      const token = observe(await client.getAccessToken(), "getAccessToken: huge expires_in");
      assert.equal(token.status, IdentityStatusCode.Success, token.message);
      const stored = await store.read();
      assert.ok(stored.ok);
      const expiresAt = stored.value?.tokens?.accessTokenExpiresAt;
      assert.ok(Number.isSafeInteger(expiresAt) && (expiresAt ?? 0) > Date.now(), `stored ${expiresAt}`);
      const data = observe(await client.authenticationData(), "authenticationData: huge expires_in");
      assert.ok((data.value?.accessTokenExpiresAt?.getTime() ?? 0) > Date.now(), "an expiry in the past");
      assert.equal(fake.hits.get("/oidc/tenant-1/token"), 1);
    } finally {
      client.close();
    }
  });

test("a token exchange answer without expires_in: the exchanged token is kept, not exchanged on every call", async () => {
  const { client, store } = await initClient();
  await seedUserA(store, {});
  fake.on("/clients/files-app", json(200, { client_id: "files-app", client_name: "Files" }));
  fake.on(
    "/token",
    json(200, {
      access_token: "exchanged-files-app",
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
      token_type: "Bearer",
    }),
  );
  try {
    const registered = observe(await client.registerClientId("files-app"), "registerClientId: files-app");
    assert.equal(registered.status, IdentityStatusCode.Success, registered.message);
    for (let i = 0; i < 3; i++) {
      const token = observe(
        await client.getAccessToken("files-app"),
        "getAccessToken: exchange without expires_in",
      );
      assert.equal(token.value, "exchanged-files-app", token.message);
    }
    assert.equal(fake.hits.get("/oidc/tenant-1/token"), 1, "every call exchanged");
  } finally {
    client.close();
  }
});

test("signOut everywhere puts no token on the browser's command line (ps shows argv to every local user)", async () => {
  fake.document = {
    ...fake.document,
    revocation_endpoint: `${fake.issuer}/token/revocation`,
    end_session_endpoint: `${fake.issuer}/session/end`,
  };
  fake.on("/token/revocation", (_request, response) => response.writeHead(200).end());
  const argvFile = join(storeDir, "browser-argv");
  const browser = join(storeDir, "record-browser.sh");
  // The "system browser" (BROWSER hook) records every argument it was started with, as ps would show it.
  await writeFile(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`, { mode: 0o700 });
  const { client, store } = await initClient(browser);
  await seedUserA(store, {});
  const stored = await store.read();
  assert.ok(stored.ok);
  const { idToken, accessToken, refreshToken } = stored.value?.tokens ?? {};
  try {
    const out = observe(await client.signOut({ everywhere: true }), "signOut everywhere: argv check");
    assert.equal(out.status, IdentityStatusCode.Success, out.message);
    const argv = await readFile(argvFile, "utf8");
    assert.match(argv, /\/session\/end/, "the browser was not sent to the end-session endpoint");
    for (const secret of [idToken, accessToken, refreshToken])
      assert.ok(secret !== undefined && !argv.includes(secret), "a token is on the browser's command line");
    // The end-session endpoint still learns which app asks (RP-Initiated Logout's client_id).
    assert.equal(new URL(argv.trim()).searchParams.get("client_id"), CLIENT_ID);
  } finally {
    client.close();
  }
});

test("a refresh_token_expires_in past the last valid Date: no Invalid Date in authenticationData", async () => {
  const { client, store } = await initClient();
  await seedUserA(store, { accessTokenExpiresAt: Date.now() - 60_000 });
  // 8.9e12 s: now + that in ms is still a safe integer, but beyond 8.64e15 ms, the last Date.
  fake.on("/token", async (request, response, body) =>
    json(200, {
      access_token: "at-user-a-2",
      token_type: "Bearer",
      expires_in: 300,
      refresh_token: "rt-user-a-2",
      refresh_token_expires_in: 8.9e12,
      id_token: await signIdToken("user-a"),
    })(request, response, body),
  );
  try {
    const data = observe(
      await client.authenticationData(),
      "authenticationData: huge refresh_token_expires_in",
    );
    assert.equal(data.status, IdentityStatusCode.Success, data.message);
    const expiry = data.value?.refreshTokenExpiresAt;
    assert.ok(expiry === undefined || Number.isFinite(expiry.getTime()), "an Invalid Date");
  } finally {
    client.close();
  }
});
