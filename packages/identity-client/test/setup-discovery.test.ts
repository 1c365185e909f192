import assert from "node:assert/strict";
import { test } from "node:test";
import { IdentityClient, IdentityStatusCode, type InitOptions } from "../src/index.ts";
import { openSessionStore } from "../src/store/file-session-store.ts";
import { fakeIssuerPerTest } from "./helpers/fake-issuer-per-test.ts";
import { observe } from "./helpers/observe.ts";
import { closedPort, json, silent, text } from "./helpers/setup-fake-issuer.ts";

/**
 * init against a real local issuer that misbehaves: discovery that cannot be had is
 * AuthenticationInterfaceCouldNotBeInitialized with the classified cause, a document without a
 * token endpoint TokenManagementInterfaceCouldNotBeInitialized, an unknown client id
 * ClientIdNotRegistered; a good init caches discovery and the JWKS in the store, and a later init
 * with the server gone works from that cache (offline).
 */

const setup = fakeIssuerPerTest("notes-app", "setup-discovery-");
const options = setup.options;

async function cannotInit(extra: Partial<InitOptions>, cause: RegExp, scenario: string) {
  const client = new IdentityClient();
  const result = observe(await client.init(options(extra)), scenario);
  assert.equal(
    result.status,
    IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized,
    result.message,
  );
  assert.match(result.message ?? "", cause);
  assert.equal(client.initialized, false);
}

test("discovery unreachable, refused, not JSON, of another issuer or too slow: AuthenticationInterfaceCouldNotBeInitialized with the cause", async () => {
  const port = await closedPort();
  await cannotInit(
    { issuer: `http://127.0.0.1:${port}/oidc/t` },
    /cannot be reached/,
    "discovery: closed port",
  );
  setup.fake.on("/.well-known/openid-configuration", json(404, { error: "not_found" }));
  await cannotInit({}, /refused the request \(HTTP 404\)/, "discovery: 404");
  setup.fake.on("/.well-known/openid-configuration", json(503, { error: "unavailable" }));
  await cannotInit({}, /server failed \(HTTP 503\)/, "discovery: 503");
  setup.fake.on("/.well-known/openid-configuration", text(200, "<html>welcome</html>"));
  await cannotInit({}, /could not be used/, "discovery: not JSON");
  setup.fake.on(
    "/.well-known/openid-configuration",
    json(200, { ...setup.fake.document, issuer: "https://elsewhere.example/oidc/x" }),
  );
  await cannotInit({}, /discovery failed/, "discovery: issuer mismatch");
  setup.fake.on("/.well-known/openid-configuration", silent);
  const started = Date.now();
  await cannotInit({ timeoutMs: 200 }, /did not answer in time/, "discovery: timeout");
  assert.ok(Date.now() - started < 5000, "the timeout held");
});

test("the issuer's keys unavailable: AuthenticationInterfaceCouldNotBeInitialized naming jwks_uri", async () => {
  setup.fake.on("/jwks", json(500, {}));
  await cannotInit({}, /jwks_uri.*HTTP 500/, "discovery: jwks 500");
  setup.fake.on("/jwks", json(200, { keys: "none" }));
  await cannotInit({}, /jwks_uri/, "discovery: jwks garbage");
});

test("a discovery document without token_endpoint: TokenManagementInterfaceCouldNotBeInitialized", async () => {
  const { token_endpoint: _, ...document } = setup.fake.document;
  setup.fake.document = document;
  const client = new IdentityClient();
  const result = observe(await client.init(options()), "discovery without token endpoint");
  assert.equal(
    result.status,
    IdentityStatusCode.TokenManagementInterfaceCouldNotBeInitialized,
    result.message,
  );
  assert.match(result.message ?? "", /token_endpoint/);
  assert.equal(client.initialized, false);
});

test("a client id the issuer says is not registered: ClientIdNotRegistered; other client-check failures are not", async () => {
  setup.fake.on(
    "/clients/ghost-app",
    json(404, {
      error: "invalid_client",
      error_description: "the client id is not registered at this issuer",
      tessera_client_not_registered: true,
    }),
  );
  for (const mode of ["interactive", "batch"] as const) {
    const client = new IdentityClient();
    const result = observe(
      await client.init(
        options({ clientId: "ghost-app", mode, ...(mode === "batch" ? { clientSecret: "s" } : {}) }),
      ),
      `init with an unknown client id (${mode})`,
    );
    assert.equal(result.status, IdentityStatusCode.ClientIdNotRegistered, result.message);
    assert.match(result.message ?? "", /ghost-app/);
    assert.equal(setup.fake.hits.get("/oidc/tenant-1/clients/ghost-app"), mode === "interactive" ? 1 : 2);
  }
  // A bare 404 (no tessera_client_not_registered) does not claim the id is unknown.
  await cannotInit({ clientId: "other-app" }, /client check failed.*HTTP 404/, "client check: plain 404");
  setup.fake.on("/clients/notes-app", json(200, { client_id: "someone-else" }));
  await cannotInit({}, /client check failed/, "client check: another client");
  setup.fake.document = {
    ...setup.fake.document,
    tessera_client_info_endpoint: "https://elsewhere.example/clients",
  };
  await cannotInit({}, /another origin/, "client check: foreign endpoint");
});

test("a rate-limited client check does not stop init, and says the client id is unconfirmed", async () => {
  setup.fake.on("/clients/notes-app", json(429, { errorCode: 9905 }));
  const client = new IdentityClient();
  const result = observe(await client.init(options()), "client check rate limited");
  assert.equal(result.status, IdentityStatusCode.Success);
  assert.match(result.message ?? "", /rate limited/);
  assert.equal(client.initialized, true);
  client.close();
});

test("an issuer that does not advertise the client information endpoint is not asked", async () => {
  const { tessera_client_info_endpoint: _, ...document } = setup.fake.document;
  setup.fake.document = document;
  const client = new IdentityClient();
  assert.equal((await client.init(options({ clientId: "ghost-app" }))).status, IdentityStatusCode.Success);
  assert.equal(setup.fake.hits.get("/oidc/tenant-1/clients/ghost-app"), undefined);
  client.close();
});

test("a good init caches discovery and the JWKS in the store; with the server gone, init succeeds from the cache and says offline", async () => {
  const first = new IdentityClient();
  assert.equal((await first.init(options())).status, IdentityStatusCode.Success);
  first.close();
  const store = await openSessionStore({
    storeDir: setup.storeDir,
    issuer: setup.fake.issuer,
    clientId: "notes-app",
    lockTimeoutMs: 1000,
  });
  assert.ok(store.ok);
  const read = await store.value.read();
  assert.ok(read.ok);
  assert.equal(read.value?.discovery?.metadata.token_endpoint, `${setup.fake.issuer}/token`);
  assert.equal(read.value?.discovery?.jwks?.keys[0]?.kid, "k1");

  await setup.fake.close();
  const offline = new IdentityClient();
  const result = observe(
    await offline.init(options({ timeoutMs: 500 })),
    "init offline from cached discovery",
  );
  assert.equal(result.status, IdentityStatusCode.Success, result.message);
  assert.match(result.message ?? "", /^offline: discovery failed: the server cannot be reached/);
  assert.equal(offline.initialized, true);
  offline.close();

  // The cache is the store's for this issuer and client id: another client id has none.
  const other = new IdentityClient();
  const refused = await other.init(options({ clientId: "other-app", timeoutMs: 500 }));
  assert.equal(refused.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
});

test("a missing token endpoint is not papered over by the cache", async () => {
  const first = new IdentityClient();
  assert.equal((await first.init(options())).status, IdentityStatusCode.Success);
  first.close();
  const { token_endpoint: _, ...document } = setup.fake.document;
  setup.fake.document = document;
  const result = await new IdentityClient().init(options());
  assert.equal(result.status, IdentityStatusCode.TokenManagementInterfaceCouldNotBeInitialized);
});
