import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { PAT_GRANT_TYPE } from "../../server/src/sso/apps/app.ts";
import { insertTestApp } from "../../server/test/helpers/pat-test-app.ts";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.ts";
import { IdentityClient, type IdentityResult, IdentityStatusCode, type InitOptions } from "../src/index.ts";
import { observe } from "./helpers/observe.ts";

/**
 * Batch mode against a real Tessera server: a personal access token (option or
 * TESSERA_PERSONAL_ACCESS_TOKEN) exchanged with Tessera's PAT grant, a confidential app's secret
 * (option or TESSERA_CLIENT_SECRET) with client_credentials; the tokens used at the server's
 * userinfo endpoint; refused credentials are Failed.
 */
const scenario = "identity client: batch mode";
const observeBatch = <R extends IdentityResult<unknown>>(result: R, what: string): R =>
  observe(result, `${scenario}: ${what}`);

let s: TestServer;
let issuer: string;
let tenantId: string;
let userId: string;
let app: { clientId: string; secret: string };
let pat: string;

before(async () => {
  s = await startTestServer("sqlite");
  const { tenant, apiKey } = await s.tenant();
  tenantId = tenant.id;
  issuer = new URL(`/oidc/${tenant.id}`, s.url).href;
  const user = await s.api("POST", "/v1/users", {
    apiKey,
    scenario,
    body: { username: "alice", email: "alice@example.com", firstName: "Alice" },
  });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  userId = (user.body.user as { id: string }).id;
  app = await insertTestApp(s.server.ctx, tenant.id, s.clock.now(), {
    grantTypes: [PAT_GRANT_TYPE, "client_credentials"],
  });
  const made = await s.api("POST", "/v1/users/alice/personal-access-tokens", {
    apiKey,
    scenario,
    body: { clientId: app.clientId, name: "nightly job", expiresInDays: 30 },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  pat = made.body.token as string;
});
after(() => s.close());

const batch = (extra: Partial<InitOptions>): InitOptions => ({
  issuer,
  clientId: app.clientId,
  mode: "batch",
  ...extra,
});

async function initialised(extra: Partial<InitOptions>): Promise<IdentityClient> {
  const client = new IdentityClient();
  const result = await client.init(batch(extra));
  assert.equal(result.status, IdentityStatusCode.Success, result.message);
  return client;
}

/** Runs `body` with the batch variables set (and restores them): the environment path. */
async function withEnv(vars: Record<string, string>, body: () => Promise<void>) {
  const saved = { ...process.env };
  Object.assign(process.env, vars);
  try {
    await body();
  } finally {
    process.env = saved;
  }
}

async function personalAccessTokenWorks(client: IdentityClient) {
  const token = observeBatch(await client.getAccessToken(), "PAT token");
  assert.equal(token.status, IdentityStatusCode.Success, token.message);
  const profile = observeBatch(await client.getUserProfile(), "PAT profile");
  assert.equal(profile.value?.subject, userId);
  assert.equal(profile.value?.email, "alice@example.com");
  const data = observeBatch(await client.authenticationData(), "PAT authentication data");
  assert.equal(data.value?.subject, userId);
  assert.equal(data.value?.tenant, tenantId);
  assert.ok((data.value?.accessTokenExpiresAt?.getTime() ?? 0) > Date.now());
  const fetched = observeBatch(await client.fetch(`${issuer}/me`), "PAT fetch");
  assert.equal(fetched.status, IdentityStatusCode.Success);
  assert.ok(fetched.value !== undefined);
  assert.equal(fetched.value.status, 200);
  assert.equal(((await fetched.value.json()) as { sub?: string }).sub, userId);
}

test("a personal access token from the options: token, profile, authentication data and an authorised fetch", async () => {
  await personalAccessTokenWorks(await initialised({ personalAccessToken: pat, clientSecret: app.secret }));
});

test("a personal access token and the secret from the environment work the same", async () => {
  await withEnv({ TESSERA_PERSONAL_ACCESS_TOKEN: pat, TESSERA_CLIENT_SECRET: app.secret }, async () => {
    await personalAccessTokenWorks(await initialised({}));
  });
});

test("a refused personal access token is Failed, and so is every call that needs it", async () => {
  const client = await initialised({
    personalAccessToken: `${pat.slice(0, -4)}xxxx`,
    clientSecret: app.secret,
  });
  const token = observeBatch(await client.getAccessToken(), "refused PAT");
  assert.equal(token.status, IdentityStatusCode.Failed);
  assert.match(token.message ?? "", /personal access token was refused/);
  assert.ok(!(token.message ?? "").includes(pat.slice(0, 12)), "the message carries no credential");
  assert.equal((await client.fetch(`${issuer}/me`)).status, IdentityStatusCode.Failed);
  assert.equal((await client.getUserProfile()).status, IdentityStatusCode.Failed);
});

test("client credentials (secret from TESSERA_CLIENT_SECRET): a token for the app, no user profile", async () => {
  await withEnv({ TESSERA_CLIENT_SECRET: app.secret }, async () => {
    const client = await initialised({});
    assert.equal(
      observeBatch(await client.getAccessToken(), "client credentials token").status,
      IdentityStatusCode.Success,
    );
    const data = observeBatch(await client.authenticationData(), "client credentials authentication data");
    assert.equal(data.value?.subject, app.clientId);
    const profile = observeBatch(await client.getUserProfile(), "client credentials profile");
    assert.equal(profile.status, IdentityStatusCode.AuthDataEmpty);
  });
  const wrong = await initialised({ clientSecret: "not-the-secret" });
  const refused = observeBatch(await wrong.getAccessToken(), "wrong client secret");
  assert.equal(refused.status, IdentityStatusCode.Failed);
  assert.match(refused.message ?? "", /client secret was refused/);
});

test("an app of one tenant used at another tenant's issuer is ClientIdNotRegistered at init", async () => {
  const { tenant: other } = await s.tenant();
  const otherIssuer = new URL(`/oidc/${other.id}`, s.url).href;
  const client = new IdentityClient();
  const init = observeBatch(
    await client.init(batch({ issuer: otherIssuer, personalAccessToken: pat, clientSecret: app.secret })),
    "app of another tenant",
  );
  assert.equal(init.status, IdentityStatusCode.ClientIdNotRegistered, init.message);
  assert.equal(client.initialized, false);
});
