import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { IdentityClient, type IdentityResult, IdentityStatusCode, type InitOptions } from "../src/index.ts";
import { observe } from "./helpers/observe.ts";
import {
  closedPort,
  type FakeIssuer,
  json,
  silent,
  startFakeIssuer,
  text,
} from "./helpers/setup-fake-issuer.ts";

/**
 * Online failures classified for real, through batch getAccessToken (the public call that
 * surfaces the classified code itself) against a local token endpoint that misbehaves; and the
 * host's fetch callback: what it throws reaches the facade's guard instead of being taken for a
 * network failure.
 */

let fake: FakeIssuer;
beforeEach(async () => {
  fake = await startFakeIssuer("batch-app");
  fake.on("/token", json(200, { access_token: "at-1", token_type: "Bearer", expires_in: 600 }));
});
afterEach(() => fake.close());

const batch = (extra: Partial<InitOptions> = {}): InitOptions => ({
  issuer: fake.issuer,
  clientId: "batch-app",
  mode: "batch",
  clientSecret: "secret",
  ...extra,
});

async function initialised(extra: Partial<InitOptions> = {}, now?: () => number): Promise<IdentityClient> {
  const client = new IdentityClient(now === undefined ? {} : { now });
  const result = await client.init(batch(extra));
  assert.equal(result.status, IdentityStatusCode.Success, result.message);
  return client;
}

async function tokenFails(status: IdentityStatusCode, message: RegExp, scenario: string, extra = {}) {
  const client = await initialised(extra);
  const result = observe(await client.getAccessToken(), scenario);
  assert.equal(result.status, status, result.message);
  assert.match(result.message ?? "", message);
  assert.equal(result.value, undefined);
}

test("ConnectionError: the token endpoint on a closed port", async () => {
  fake.document = { ...fake.document, token_endpoint: `http://127.0.0.1:${await closedPort()}/token` };
  await tokenFails(IdentityStatusCode.ConnectionError, /cannot be reached/, "batch token: closed port");
});

test("TimeOut: a token endpoint that accepts and never answers, within timeoutMs", async () => {
  fake.on("/token", silent);
  const started = Date.now();
  await tokenFails(IdentityStatusCode.TimeOut, /in time/, "batch token: silent server", { timeoutMs: 200 });
  assert.ok(Date.now() - started < 5000);
});

test("ClientError (4xx), ServerError (5xx), UnknownError (a 200 that is garbage)", async () => {
  fake.on("/token", json(400, { error: "invalid_scope" }));
  await tokenFails(IdentityStatusCode.ClientError, /HTTP 400/, "batch token: 400 invalid_scope");
  fake.on("/token", text(403, "forbidden"));
  await tokenFails(IdentityStatusCode.ClientError, /HTTP 403/, "batch token: 403 text");
  fake.on("/token", text(500, "oops"));
  await tokenFails(IdentityStatusCode.ServerError, /HTTP 500/, "batch token: 500");
  fake.on("/token", json(502, { error: "server_error" }));
  await tokenFails(IdentityStatusCode.ServerError, /HTTP 502/, "batch token: 502 json");
  fake.on("/token", text(200, "\u0000garbage{"));
  await tokenFails(IdentityStatusCode.UnknownError, /could not be used/, "batch token: garbage 200");
  fake.on("/token", json(200, { token_type: "Bearer" }));
  await tokenFails(IdentityStatusCode.UnknownError, /could not be used/, "batch token: 200 without a token");
});

test("refused credentials are Failed; an unknown client id at the token endpoint is ClientIdNotRegistered", async () => {
  fake.on("/token", json(401, { error: "invalid_client" }));
  await tokenFails(IdentityStatusCode.Failed, /client secret was refused/, "batch token: wrong secret");
  fake.on("/token", json(400, { error: "invalid_grant" }));
  await tokenFails(
    IdentityStatusCode.Failed,
    /personal access token was refused/,
    "batch token: refused PAT",
    {
      personalAccessToken: "tpat_wrong",
    },
  );
  fake.on(
    "/token",
    json(401, {
      error: "invalid_client",
      error_description: "the client id is not registered at this issuer",
      tessera_client_not_registered: true,
    }),
  );
  await tokenFails(
    IdentityStatusCode.ClientIdNotRegistered,
    /not registered/,
    "batch token: unknown client id",
  );
});

test("a burst of 20 getAccessToken calls exchanges once; the token is exchanged again only once it expires", async () => {
  let clock = 1_000_000;
  const client = await initialised({}, () => clock);
  const results = await Promise.all(Array.from({ length: 20 }, () => client.getAccessToken()));
  for (const result of results) assert.equal(observe(result, "batch token").value, "at-1");
  assert.equal(fake.hits.get("/oidc/tenant-1/token"), 1);
  clock += 500_000;
  assert.equal((await client.getAccessToken()).value, "at-1");
  assert.equal(fake.hits.get("/oidc/tenant-1/token"), 1);
  clock += 100_000;
  fake.on("/token", json(200, { access_token: "at-2", token_type: "Bearer", expires_in: 600 }));
  const renewed = await Promise.all(Array.from({ length: 20 }, () => client.getAccessToken()));
  assert.deepEqual(new Set(renewed.map((r) => r.value)), new Set(["at-2"]));
  assert.equal(fake.hits.get("/oidc/tenant-1/token"), 2);
});

test("batch fetch sends the token, and on a 401 exchanges once and retries once", async () => {
  const seen: (string | undefined)[] = [];
  let answers = [401, 200];
  fake.on("/resource", (request, response) => {
    seen.push(request.headers.authorization);
    response.writeHead(answers.shift() ?? 500);
    response.end();
  });
  const client = await initialised();
  let exchanged = 0;
  fake.on("/token", (request, response, body) => {
    exchanged++;
    json(200, { access_token: `at-${exchanged}`, token_type: "Bearer", expires_in: 600 })(
      request,
      response,
      body,
    );
  });
  const result = observe(await client.fetch(`${fake.issuer}/resource`), "batch fetch");
  assert.equal(result.status, IdentityStatusCode.Success);
  assert.equal(result.value?.status, 200);
  assert.deepEqual(seen, ["Bearer at-1", "Bearer at-2"]);
  // Only one retry: a second 401 is the program's answer, not a loop.
  answers = [401, 401, 200];
  const again = await client.fetch(`${fake.issuer}/resource`, { headers: { "x-a": "1" } });
  assert.equal(again.value?.status, 401);
  assert.equal(exchanged, 3);
  // A streamed body cannot be sent twice: its 401 is answered as is, without a new exchange.
  answers = [401, 200];
  const streamed = await client.fetch(`${fake.issuer}/resource`, {
    method: "POST",
    body: new Blob(["payload"]).stream(),
    duplex: "half",
  } as RequestInit);
  assert.equal(streamed.value?.status, 401);
  assert.equal(exchanged, 3);
  const down = `http://127.0.0.1:${await closedPort()}/x`;
  assert.equal(
    observe(await client.fetch(down), "batch fetch: closed port").status,
    IdentityStatusCode.ConnectionError,
  );
});

test("authentication none: NoAuthentication, and fetch goes out without a token", async () => {
  const seen: (string | undefined)[] = [];
  fake.on("/resource", (request, response) => {
    seen.push(request.headers.authorization);
    response.writeHead(204);
    response.end();
  });
  const client = new IdentityClient();
  const init = { issuer: fake.issuer, clientId: "batch-app", mode: "batch", authentication: "none" } as const;
  assert.equal((await client.init(init)).status, IdentityStatusCode.Success);
  assert.equal(
    observe(await client.getAccessToken(), "batch none: token").status,
    IdentityStatusCode.NoAuthentication,
  );
  const fetched = observe(await client.fetch(`${fake.issuer}/resource`), "batch none: fetch");
  assert.equal(fetched.status, IdentityStatusCode.NoAuthentication);
  assert.equal(fetched.value?.status, 204);
  assert.deepEqual(seen, [undefined]);
  assert.equal((await client.authenticationData()).status, IdentityStatusCode.NoAuthentication);
  assert.equal((await client.getUserProfile()).status, IdentityStatusCode.NoAuthentication);
  assert.equal(fake.hits.get("/oidc/tenant-1/token"), undefined);
});

test("batch mode: signIn and a token for another client id are UnsupportedCall", async () => {
  const client = await initialised();
  const signIn = observe(await client.signIn(), "batch signIn");
  assert.equal(signIn.status, IdentityStatusCode.UnsupportedCall);
  assert.match(signIn.message ?? "", /batch/);
  assert.equal((await client.getAccessToken("other-app")).status, IdentityStatusCode.UnsupportedCall);
  assert.equal(fake.hits.get("/oidc/tenant-1/token"), undefined);
});

test("malformed arguments are Failed naming the argument", async () => {
  const client = await initialised();
  const failed = async (result: Promise<IdentityResult<unknown>>, name: RegExp) => {
    const r = observe(await result, "malformed argument");
    assert.equal(r.status, IdentityStatusCode.Failed, r.message);
    assert.match(r.message ?? "", name);
  };
  await failed(client.getAccessToken(123 as unknown as string), /clientId/);
  await failed(client.getAccessToken(""), /clientId/);
  await failed(client.getAccessToken("x".repeat(10_000)), /clientId/);
  await failed(client.fetch("not a url"), /url/);
  await failed(client.fetch(42 as unknown as string), /url/);
  await failed(client.fetch("http://example.com/data"), /url must be https/);
  await failed(client.fetch("file:///etc/passwd"), /url must be https/);
  await failed(client.fetch(`${fake.issuer}/x`, null as unknown as RequestInit), /init/);
  assert.equal(fake.hits.get("/oidc/tenant-1/token"), undefined);
});

test("a host fetch that throws an Error is UnexpectedException, a non-Error UnknownException, a TypeError a network failure", async () => {
  const throwing = (thrown: unknown) => (() => Promise.reject(thrown)) as unknown as typeof fetch;
  const atInit = async (hostFetch: typeof fetch) => new IdentityClient().init(batch({ fetch: hostFetch }));
  const unexpected = observe(
    await atInit(throwing(new RangeError("proxy bug"))),
    "host fetch throws an Error",
  );
  assert.equal(unexpected.status, IdentityStatusCode.UnexpectedException);
  assert.match(unexpected.message ?? "", /RangeError/);
  const unknown = observe(await atInit(throwing("a string")), "host fetch throws a non-Error");
  assert.equal(unknown.status, IdentityStatusCode.UnknownException);
  const syncThrow = (() => {
    throw { weird: true };
  }) as unknown as typeof fetch;
  assert.equal((await atInit(syncThrow)).status, IdentityStatusCode.UnknownException);
  const noResponse = (async () => "not a response") as unknown as typeof fetch;
  assert.equal((await atInit(noResponse)).status, IdentityStatusCode.UnexpectedException);
  const network = await atInit(throwing(new TypeError("fetch failed")));
  assert.equal(network.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
  assert.match(network.message ?? "", /cannot be reached/);

  // Inside a later call too: the host's fetch throws only at the token endpoint.
  const picky = (async (input: string | URL | Request, init?: RequestInit) => {
    if (String(input).endsWith("/token")) throw new Error("proxy refused");
    return fetch(input, init);
  }) as typeof fetch;
  const client = await initialised({ fetch: picky });
  const later = observe(await client.getAccessToken(), "host fetch throws inside getAccessToken");
  assert.equal(later.status, IdentityStatusCode.UnexpectedException);
  // A host fetch that ignores its signal still times out.
  const deaf = (() => new Promise<Response>(() => undefined)) as typeof fetch;
  const slow = await new IdentityClient().init(batch({ fetch: deaf, timeoutMs: 200 }));
  assert.equal(slow.status, IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized);
});
