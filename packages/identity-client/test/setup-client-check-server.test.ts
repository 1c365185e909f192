import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { insertPublicTestApp } from "../../server/test/helpers/sso-test-app.ts";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.ts";
import { IdentityClient, IdentityStatusCode } from "../src/index.ts";
import { observe } from "./helpers/observe.ts";

/**
 * init against a real Tessera server's client information endpoint: a native app of the tenant
 * initialises, an unknown client id and another tenant's app are ClientIdNotRegistered.
 */

let s: TestServer;
let storeDir: string;
let issuer: string;
let clientId: string;
let foreignClientId: string;

before(async () => {
  s = await startTestServer("sqlite");
  storeDir = await mkdtemp(join(tmpdir(), "setup-client-check-"));
  const { tenant } = await s.tenant();
  const { tenant: other } = await s.tenant();
  issuer = new URL(`/oidc/${tenant.id}`, s.url).href;
  clientId = await insertPublicTestApp(s, tenant.id);
  foreignClientId = await insertPublicTestApp(s, other.id);
});
after(async () => {
  await s.close();
  await rm(storeDir, { recursive: true, force: true });
});

const init = (id: string) =>
  new IdentityClient().init({ issuer, clientId: id, mode: "interactive", storeDir });

test("the tenant's native app initialises", async () => {
  const result = observe(await init(clientId), "init against the real server");
  assert.equal(result.status, IdentityStatusCode.Success, result.message);
});

test("an unknown client id and another tenant's app are ClientIdNotRegistered", async () => {
  const unknown = observe(await init("app-never-registered"), "init with an unknown client id (real server)");
  assert.equal(unknown.status, IdentityStatusCode.ClientIdNotRegistered, unknown.message);
  assert.match(unknown.message ?? "", /app-never-registered/);
  const foreign = observe(await init(foreignClientId), "init with another tenant's client id (real server)");
  assert.equal(foreign.status, IdentityStatusCode.ClientIdNotRegistered, foreign.message);
});
