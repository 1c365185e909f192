import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { test } from "node:test";
import { IdentityClient, IdentityStatusCode } from "../src/index.ts";
import { openSessionStore } from "../src/store/file-session-store.ts";
import { fakeIssuerPerTest } from "./helpers/fake-issuer-per-test.ts";
import { observe } from "./helpers/observe.ts";
import type { Handler } from "./helpers/setup-fake-issuer.ts";

/**
 * A hostile or broken issuer, and hostile option values, against init: answers too big to hold,
 * a body that never ends behind a host fetch, options that change between check and use. Each
 * must end in an identity code, bounded in memory and time.
 */

const setup = fakeIssuerPerTest("notes-app", "review1-hostile-");
const options = setup.options;

/** Valid JSON of about `mebibytes` MiB: a body an unbounded reader would hold in memory whole. */
const huge =
  (body: Record<string, unknown>, mebibytes: number): Handler =>
  (_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    const head = JSON.stringify(body).slice(0, -1);
    response.write(`${head},"padding":"`);
    const chunk = "x".repeat(1024 * 1024);
    for (let i = 0; i < mebibytes; i++) response.write(chunk);
    response.end('"}');
  };

test("a JWKS of 32 MiB is refused: AuthenticationInterfaceCouldNotBeInitialized, not held in memory", async () => {
  setup.fake.on("/jwks", huge({ keys: [] }, 32));
  const result = observe(await new IdentityClient().init(options()), "init: oversized jwks");
  assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
  assert.match(result.message ?? "", /too large/);
});

test("a discovery document of 32 MiB is refused: AuthenticationInterfaceCouldNotBeInitialized", async () => {
  setup.fake.on("/.well-known/openid-configuration", huge(setup.fake.document, 32));
  const result = observe(await new IdentityClient().init(options()), "init: oversized discovery");
  assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
});

test("a host fetch whose body drips forever: init ends after timeoutMs, not never", {
  timeout: 20_000,
}, async () => {
  // The host's fetch ignores the signal and hands back a body that never ends (a proxy stuck mid-answer).
  const dripping: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.includes("/clients/")) return fetch(input, init);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"client_id":'));
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  };
  const result = observe(
    await new IdentityClient().init(options({ fetch: dripping, timeoutMs: 500 })),
    "init: host fetch body never ends",
  );
  assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
  assert.match(result.message ?? "", /did not answer in time/);
});

test("an option that changes between check and use: init uses the value it checked", async () => {
  const relative = `review1-relative-store-${process.pid}`;
  let reads = 0;
  const hostile = options();
  Object.defineProperty(hostile, "storeDir", {
    enumerable: true,
    // Absolute when checked, relative (the working directory) when used.
    get: () => (reads++ === 0 ? setup.storeDir : relative),
  });
  try {
    const result = observe(await new IdentityClient().init(hostile), "init: option getter changes");
    assert.equal(result.status, IdentityStatusCode.Success);
    assert.equal(existsSync(resolve(relative)), false, "the store went to the unchecked relative path");
    assert.ok(readdirSync(setup.storeDir).some((name) => name.endsWith(".session")));
  } finally {
    await rm(resolve(relative), { recursive: true, force: true });
  }
});

/** A redirect to the same server under another origin (localhost instead of 127.0.0.1). */
const redirectElsewhere =
  (path: string): Handler =>
  (_request, response) => {
    response.writeHead(302, { location: `${setup.fake.issuer.replace("127.0.0.1", "localhost")}${path}` });
    response.end();
  };

test("a JWKS that redirects to another origin is not followed: AuthenticationInterfaceCouldNotBeInitialized", async () => {
  // Following it would also follow https -> http, past the check that jwks_uri is https.
  setup.fake.on("/jwks", redirectElsewhere("/jwks-elsewhere"));
  setup.fake.on("/jwks-elsewhere", (_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [] }));
  });
  const result = observe(await new IdentityClient().init(options()), "init: jwks redirects elsewhere");
  assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
  assert.equal(setup.fake.hits.get("/oidc/tenant-1/jwks-elsewhere"), undefined);
});

test("a client information answer that redirects to another origin is not followed", async () => {
  // The endpoint must be on the issuer's origin; a redirect must not take the check elsewhere.
  setup.fake.on("/clients/notes-app", redirectElsewhere("/clients-elsewhere/notes-app"));
  setup.fake.on("/clients-elsewhere/notes-app", (_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ client_id: "notes-app" }));
  });
  const result = observe(
    await new IdentityClient().init(options()),
    "init: client check redirects elsewhere",
  );
  assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
  assert.equal(setup.fake.hits.get("/oidc/tenant-1/clients-elsewhere/notes-app"), undefined);
});

test("two inits at once, then close(): no watcher is left behind, no event arrives after close", async () => {
  const client = new IdentityClient();
  const late: string[] = [];
  client.on("signedIn", () => late.push("signedIn")).on("signedOut", () => late.push("signedOut"));
  const [first, second] = await Promise.all([client.init(options()), client.init(options())]);
  assert.equal(first.status, IdentityStatusCode.Success);
  assert.equal(second.status, IdentityStatusCode.Success);
  client.close();
  // A witness watching the same store says when a change has been seen.
  const witness = new IdentityClient();
  assert.equal((await witness.init(options())).status, IdentityStatusCode.Success);
  const seen = (event: "signedIn" | "signedOut") =>
    new Promise<void>((resolve) => witness.on(event, () => resolve()));
  const opened = await openSessionStore({
    storeDir: setup.storeDir,
    issuer: new URL(setup.fake.issuer).href,
    clientId: "notes-app",
    lockTimeoutMs: 5_000,
  });
  assert.ok(opened.ok);
  const store = opened.value;
  const signedIn = seen("signedIn");
  await store.update(async (current) => {
    assert.ok(current !== undefined);
    const tokens = { accessToken: "at", accessTokenExpiresAt: Date.now() + 60_000, obtainedAt: Date.now() };
    return { next: { ...current, tokens, generation: current.generation + 1 }, value: undefined };
  });
  await signedIn;
  const signedOut = seen("signedOut");
  await store.update(async (current) => {
    assert.ok(current !== undefined);
    const { tokens: _gone, ...rest } = current;
    return { next: { ...rest, generation: current.generation + 1 }, value: undefined };
  });
  await signedOut;
  witness.close();
  assert.deepEqual(late, []);
});

for (const endpoint of [
  "token_endpoint",
  "userinfo_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
])
  test(`a loopback issuer naming a plain-http ${endpoint} on the network: refused at init`, async () => {
    // http is allowed for a loopback issuer (development); it must not carry tokens over a network.
    // 192.0.2.1 is TEST-NET-1: init refuses the document without connecting to it.
    setup.fake.document = { ...setup.fake.document, [endpoint]: "http://192.0.2.1/oidc/tenant-1/endpoint" };
    const result = observe(await new IdentityClient().init(options()), `init: plain-http ${endpoint}`);
    assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
    assert.match(result.message ?? "", new RegExp(`${endpoint} is not https`));
  });

for (const [mistake, issuerOf] of [
  ["a trailing slash", (issuer: string) => `${issuer}/`],
  ["another name for the host", (issuer: string) => issuer.replace("127.0.0.1", "localhost")],
] as const)
  test(`an issuer option with ${mistake}: the message says the issuer does not match and which one is right`, async () => {
    const result = observe(
      await new IdentityClient().init(options({ issuer: issuerOf(setup.fake.issuer) })),
      `init: issuer option with ${mistake}`,
    );
    assert.equal(result.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
    assert.match(result.message ?? "", /the issuer option/);
    assert.ok(result.message?.includes(setup.fake.issuer), result.message);
  });

test("registerClientId with a malformed id is Failed naming clientId, as getAccessToken's is", async () => {
  const client = new IdentityClient();
  assert.equal((await client.init(options())).status, IdentityStatusCode.Success);
  for (const id of [42, "", "a b", "x".repeat(129), { toString: () => "notes-app" }, null, undefined]) {
    const result = observe(
      await client.registerClientId(id as unknown as string),
      "registerClientId: malformed id",
    );
    assert.equal(result.status, IdentityStatusCode.Failed);
    assert.match(result.message ?? "", /^clientId must be/);
  }
  client.close();
});

test("registerClientId in batch mode is UnsupportedCall (batch holds the main client id's token only)", async () => {
  const client = new IdentityClient();
  const init = await client.init(options({ mode: "batch", clientSecret: "s3cret" }));
  assert.equal(init.status, IdentityStatusCode.Success, init.message);
  const result = observe(await client.registerClientId("other-app"), "registerClientId in batch mode");
  assert.equal(result.status, IdentityStatusCode.UnsupportedCall);
  client.close();
});
