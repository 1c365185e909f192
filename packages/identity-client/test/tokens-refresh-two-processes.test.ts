import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe as suite, test } from "node:test";
import { openServerContext, type ServerContext } from "../../server/src/app/server-context.ts";
import { loadConfig } from "../../server/src/config/load-config.ts";
import { apiRequest } from "../../server/test/helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "../../server/test/helpers/process-pair.ts";
import {
  codeRequest,
  createTestApp,
  passSignInPages,
  type TestApp,
} from "../../server/test/helpers/sso-grant-fixtures.ts";
import { Browser } from "../../server/test/helpers/sso-sign-in.ts";
import { IdentityStatusCode } from "../src/index.ts";
import { type Balancer, startBalancer } from "./helpers/tokens-balancer.ts";
import { startProgramProcesses } from "./helpers/tokens-children.ts";
import {
  expireAccessToken,
  newStoreDir,
  observe,
  programContext,
  saveCode,
  stored,
} from "./helpers/tokens-fixture.ts";

const PASSWORD = "correct horse battery staple";
const scenario = "tokens: refresh race on two server processes";

/**
 * The refresh race with the server side scaled out: two `tessera start` processes on one
 * PostgreSQL database behind one address (a round-robin balancer, so the 20 program processes'
 * connections land on both). The client must still send one refresh, and all 20 get its token.
 */
suite("tokens: one refresh across 20 program processes and two PostgreSQL server processes", () => {
  let balancer: Balancer;
  let pair: ProcessPair;
  let ctx: ServerContext;
  let tenantId = "";
  let app: TestApp;
  const children: ChildProcess[] = [];
  const call = (method: string, path: string, body?: unknown) =>
    apiRequest(`${balancer.url}${path}`, {
      method,
      scenario,
      headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  before(async () => {
    balancer = await startBalancer();
    // Both processes answer as the one public address, so the issuer is the same on both.
    pair = await startProcessPair("tokens-race", scenario, { TESSERA_PUBLIC_URL: balancer.url });
    balancer.targets = [new URL(pair.a.url), new URL(pair.b.url)];
    ctx = await openServerContext(
      loadConfig({
        env: {},
        flags: { dataDir: pair.database.dataDir, databaseUrl: pair.database.databaseUrl, logLevel: "silent" },
      }),
    );
    tenantId = (
      await ctx.database.db
        .selectFrom("tenants")
        .select("id")
        .where("name", "=", "tokens-race")
        .executeTakeFirstOrThrow()
    ).id;
    // The processes run on the real clock, where a TOTP code is good once per 30 s; the second
    // factor is not what this test is about, so this tenant makes it optional.
    assert.equal((await call("PATCH", "/v1/tenant", { ssoSecondFactor: "optional" })).status, 200);
    assert.equal((await call("POST", "/v1/users", { username: "greta", password: PASSWORD })).status, 201);
    app = await createTestApp({ url: balancer.url, server: { ctx } }, tenantId, {
      kind: "native",
      grantTypes: ["authorization_code", "refresh_token"],
    });
  });
  after(async () => {
    for (const child of children) child.kill();
    await ctx.close();
    await pair.close();
    await balancer.close();
  });

  test("20 program processes, two server processes: one refresh, one new token for all", async () => {
    const at = { issuer: app.issuer.href, app };
    const storeDir = await newStoreDir();
    const program = await programContext(at, storeDir);
    assert.ok(program.server !== undefined);
    const request = await codeRequest(program.server, app, { scope: "openid offline_access profile" });
    const browser = new Browser();
    const answers = {
      baseUrl: balancer.url,
      tenantId,
      clientId: app.clientId,
      redirectUri: app.redirectUri,
      username: "greta",
      password: PASSWORD,
    };
    const end = await passSignInPages(browser, await browser.follow(request.url, app.redirectUri), answers);
    assert.ok("callback" in end, "the sign-in ended at the app");
    const signedIn = await saveCode(program, request, end.callback);
    const started = await startProgramProcesses(at, storeDir, 20);
    children.push(...started.map((s) => s.child));
    await expireAccessToken(program);
    for (const one of started) one.go();
    const results = await Promise.all(started.map((s) => s.answer));
    for (const result of results) observe(result, scenario);
    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => IdentityStatusCode.Success),
    );
    const tokens = new Set(results.map((r) => r.token));
    assert.equal(tokens.size, 1, "all 20 got the same token");
    assert.notEqual([...tokens][0], signedIn.tokens?.accessToken);
    assert.equal([...tokens][0], (await stored(program))?.tokens?.accessToken);
    assert.ok(
      (balancer.connections[0] ?? 0) > 0 && (balancer.connections[1] ?? 0) > 0,
      "both processes served",
    );
    // The token endpoint writes its audit event before it answers: every refresh is in the trail.
    const trail = await call("GET", "/v1/audit?limit=500");
    const refreshes = (trail.body.events as { operation: string }[]).filter(
      (e) => e.operation === "oidc.token refresh_token",
    );
    assert.equal(refreshes.length, 1, "one refresh reached the servers, none refused");
  });
});
