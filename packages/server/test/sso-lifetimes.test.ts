import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import {
  createTestApp,
  createTestUser,
  relyingParty,
  signInForCode,
  tokenRequest,
} from "./helpers/sso-grant-fixtures.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Token and session lifetimes are settings (sso.*TtlSeconds|Days|Hours): what is configured is
 * what the tokens carry, and a value out of its bounds stops the start naming the setting.
 */
const configured = {
  "sso.accessTokenTtlSeconds": 120,
  "sso.idTokenTtlSeconds": 180,
  "sso.refreshTokenTtlDays": 2,
  "sso.deviceCodeTtlSeconds": 300,
};

for (const backend of backends) {
  suite(`SSO lifetimes from the settings (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // Lifetimes other than the defaults, so the test can tell configured from built in.
      s = await startTestServer(backend, { flags: configured });
    });
    after(() => s.close());

    test("access, ID and refresh tokens and device codes live as configured", async () => {
      const { tenant, apiKey } = await s.tenant();
      const user = await createTestUser(s, apiKey, "lena");
      const app = await createTestApp(s, tenant.id);
      const rp = await relyingParty(app);
      const { request, callback } = await signInForCode(s, tenant.id, rp, app, user);
      const tokens = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
      assert.equal(tokens.expires_in, 120);
      const claims = tokens.claims();
      assert.equal((claims?.exp ?? 0) - (claims?.iat ?? 0), 180);
      const refresh = await oidc.tokenIntrospection(rp, String(tokens.refresh_token));
      assert.equal((refresh.exp ?? 0) - (refresh.iat ?? 0), 2 * 24 * 3600);

      const service = await createTestApp(s, tenant.id, { grantTypes: ["client_credentials"] });
      const cc = await tokenRequest(service, { grant_type: "client_credentials" });
      assert.equal(cc.body.expires_in, 120);

      const device = await createTestApp(s, tenant.id, {
        kind: "native",
        grantTypes: ["urn:ietf:params:oauth:grant-type:device_code"],
      });
      const started = await fetch(`${device.issuer.href}/device/auth`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: device.clientId, scope: "openid" }),
      });
      assert.equal(started.status, 200);
      assert.equal(((await started.json()) as { expires_in: number }).expires_in, 300);
    });
  });
}

test("a lifetime out of its bounds stops the start naming the setting", () => {
  const cases: [string, string][] = [
    ["TESSERA_SSO_ACCESS_TOKEN_TTL_SECONDS", "0"],
    ["TESSERA_SSO_ACCESS_TOKEN_TTL_SECONDS", "86401"],
    ["TESSERA_SSO_ID_TOKEN_TTL_SECONDS", "-5"],
    ["TESSERA_SSO_AUTHORIZATION_CODE_TTL_SECONDS", "601"],
    ["TESSERA_SSO_DEVICE_CODE_TTL_SECONDS", "1.5"],
    ["TESSERA_SSO_REFRESH_TOKEN_TTL_DAYS", "9007199254740993"],
    ["TESSERA_SSO_SESSION_TTL_HOURS", "0"],
  ];
  for (const [name, value] of cases)
    assert.throws(
      () => loadConfig({ env: { [name]: value } }),
      (error) =>
        error instanceof ConfigError &&
        error.message.includes(name.includes("ACCESS") ? "sso.accessTokenTtlSeconds" : "sso."),
      `${name}=${value}`,
    );
  const ok = loadConfig({ env: { TESSERA_SSO_SESSION_TTL_HOURS: "24" } }) as unknown as {
    sso: { sessionTtlHours: number };
  };
  assert.equal(ok.sso.sessionTtlHours, 24);
});
