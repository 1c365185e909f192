import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { appGrantTypes } from "../src/sso/apps/app.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The discovery document advertises only what an app registered through /v1/apps can use: a
 * relying-party library that picks the "best" advertised option (PAR, DPoP, client_secret_post,
 * the implicit flow) must not pick one that then fails.
 */
for (const backend of backends) {
  suite(`discovery advertises what apps can use (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    test("code only, the grants apps may hold, a secret (basic or post) or none, no PAR, DPoP, JAR or implicit", async () => {
      const { tenant } = await s.tenant();
      const response = await fetch(`${s.url}/oidc/${tenant.id}/.well-known/openid-configuration`);
      assert.equal(response.status, 200);
      const d = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(d.response_types_supported, ["code"]);
      assert.deepEqual([...(d.grant_types_supported as string[])].sort(), [...appGrantTypes].sort());
      assert.deepEqual([...(d.token_endpoint_auth_methods_supported as string[])].sort(), [
        "client_secret_basic",
        "client_secret_post",
        "none",
      ]);
      assert.deepEqual(d.code_challenge_methods_supported, ["S256"]);
      for (const absent of [
        "pushed_authorization_request_endpoint",
        "require_pushed_authorization_requests",
        "dpop_signing_alg_values_supported",
        "token_endpoint_auth_signing_alg_values_supported",
        "request_object_signing_alg_values_supported",
      ])
        assert.equal(d[absent], undefined, absent);
      assert.notEqual(d.request_parameter_supported, true);
      assert.ok(!(d.grant_types_supported as string[]).includes("implicit"));
    });
  });
}
