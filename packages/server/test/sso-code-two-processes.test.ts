import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { loadConfig } from "../src/config/load-config.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";
import { createTestApp, passSignInPages, type TestApp, tokenRequest } from "./helpers/sso-grant-fixtures.ts";
import { Browser } from "./helpers/sso-sign-in.ts";

/**
 * A code redeemed at the same moment on two server processes sharing one PostgreSQL database is
 * redeemed once: the compare-and-set on the code's row decides, not either process's memory.
 * Repeated over several codes, so that a pass is not the luck of one interleaving.
 */
const ROUNDS = 5;
const PER_PROCESS = 4;
const PASSWORD = "correct horse battery staple";

suite("SSO: one code, two PostgreSQL server processes", () => {
  let pair: ProcessPair;
  let ctx: ServerContext;
  let tenantId = "";
  let app: TestApp;
  before(async () => {
    pair = await startProcessPair("sso-race", "sso two processes: setup");
    ctx = await openServerContext(
      loadConfig({
        env: {},
        flags: { dataDir: pair.database.dataDir, databaseUrl: pair.database.databaseUrl, logLevel: "silent" },
      }),
    );
    const tenant = await ctx.database.db
      .selectFrom("tenants")
      .select("id")
      .where("name", "=", "sso-race")
      .executeTakeFirstOrThrow();
    tenantId = tenant.id;
    const call = (method: string, path: string, body: unknown) =>
      apiRequest(`${pair.a.url}${path}`, {
        method,
        scenario: "sso two processes: setup",
        headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // The processes run on the real clock, where a TOTP code is good once per 30 s: five sign-ins
    // with one would take minutes. The second factor is not what this test is about (the code
    // race is), so this tenant makes it optional and the user signs in with a password.
    assert.equal((await call("PATCH", "/v1/tenant", { ssoSecondFactor: "optional" })).status, 200);
    assert.equal((await call("POST", "/v1/users", { username: "fritz", password: PASSWORD })).status, 201);
    app = await createTestApp({ url: pair.a.url, server: { ctx } }, tenantId);
  });
  after(async () => {
    await ctx.close();
    await pair.close();
  });

  const at = (server: ServerProcess): TestApp => ({
    ...app,
    issuer: new URL(`/oidc/${tenantId}`, server.url),
  });

  /** A code from process a's authorization endpoint, after a finished sign-in. */
  async function code(): Promise<{ code: string; verifier: string }> {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = new URL(`/oidc/${tenantId}/auth`, pair.a.url);
    url.search = new URLSearchParams({
      client_id: app.clientId,
      response_type: "code",
      redirect_uri: app.redirectUri,
      scope: "openid",
      state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    }).toString();
    const browser = new Browser();
    const answers = {
      baseUrl: pair.a.url,
      tenantId,
      clientId: app.clientId,
      redirectUri: app.redirectUri,
      username: "fritz",
      password: PASSWORD,
    };
    const end = await passSignInPages(browser, await browser.follow(url, app.redirectUri), answers);
    assert.ok("callback" in end, "the sign-in ended at the app");
    const { callback } = end;
    return { code: callback.searchParams.get("code") ?? "", verifier };
  }

  test(`${ROUNDS} codes, each redeemed ${PER_PROCESS} times on each process at once: one success per code`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { code: value, verifier } = await code();
      assert.ok(value !== "");
      const form = {
        grant_type: "authorization_code",
        code: value,
        redirect_uri: app.redirectUri,
        code_verifier: verifier,
      };
      const answers = await Promise.all(
        Array.from({ length: PER_PROCESS }, () => [
          tokenRequest(at(pair.a), form),
          tokenRequest(at(pair.b), form),
        ]).flat(),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `round ${round}: ${statuses.join()}`);
      for (const a of answers) if (a.status !== 200) assert.equal(a.body.error, "invalid_grant");
    }
  });
});
