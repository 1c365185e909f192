import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { basicAuth, clientCredentials, insertAppRow, issuerFailure } from "./helpers/sso-app-row.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * SSOInternalError: a fault inside oidc-provider (here: stored rows that no longer open) answers
 * JSON clients with an OAuth error carrying errorCode 9059 and the request id, browsers with the
 * generic page and the request id, and lands in the audit trail with its code. The detail stays in
 * the server log (sso-keys-two-processes.test.ts reads a real process's log).
 */
for (const backend of backends) {
  suite(`SSO provider faults (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    const setup = async () => {
      const { tenant, apiKey } = await s.tenant();
      const clientId = `app-${tenant.id.slice(0, 8)}`;
      await insertAppRow(s.server.ctx, tenant.id, clientId);
      return { tenantId: tenant.id, apiKey, clientId, issuer: new URL(`/oidc/${tenant.id}`, s.url).href };
    };

    const auditedRequestIds = async (apiKey: string, scenario: string) => {
      const audited = await s.api("GET", `/v1/audit?resultCode=${ApiReturnCode.SSOInternalError}`, {
        apiKey,
        scenario,
      });
      return (audited.body.events as { requestId: string }[]).map((e) => e.requestId);
    };

    test("a stored token that no longer opens: introspection answers SSOInternalError with the request id, nothing more", async () => {
      const { tenantId, apiKey, clientId } = await setup();
      const granted = await clientCredentials(`${s.url}/oidc/${tenantId}`, clientId);
      assert.equal(granted.status, 200);
      const { access_token: accessToken } = (await granted.json()) as { access_token: string };
      await s.server.ctx.database.db
        .updateTable("sso_models")
        .set({ payload_enc: s.server.ctx.keys.encrypt("{}", "another row") })
        .where("tenant_id", "=", tenantId)
        .execute();
      const scenario = "sso faults: undecryptable token";
      const answer = await issuerFailure(
        `${s.url}/oidc/${tenantId}/token/introspection`,
        {
          method: "POST",
          headers: {
            authorization: basicAuth(clientId),
            "content-type": "application/x-www-form-urlencoded",
          },
          body: `token=${accessToken}`,
        },
        scenario,
      );
      assert.equal(answer.status, 500);
      assert.equal(answer.body.errorCode, ApiReturnCode.SSOInternalError);
      assert.equal(answer.body.errorName, "SSOInternalError");
      assert.equal(answer.body.error, "server_error");
      const requestId = answer.headers.get("x-request-id") ?? "";
      assert.notEqual(requestId, "");
      assert.equal(answer.body.requestId, requestId);
      assert.ok(String(answer.body.error_description).includes(requestId));
      const text = `${answer.body.errorMessage} ${answer.body.error_description}`;
      assert.doesNotMatch(text, /\n\s+at |Error|decrypt|authenticate/i);
      assert.ok(!text.includes(accessToken));
      assert.ok((await auditedRequestIds(apiKey, scenario)).includes(requestId));
    });

    test("a fault on a page shows the generic message and the request id; the audit trail has the code", async () => {
      const { apiKey, clientId, issuer } = await setup();
      // The app's sealed secret no longer opens: looking the client up fails inside the provider.
      await s.server.ctx.database.db
        .updateTable("sso_apps")
        .set({ secret_enc: s.server.ctx.keys.encrypt("x", "another row") })
        .where("client_id", "=", clientId)
        .execute();
      const page = await fetch(
        `${issuer}/auth?client_id=${clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent("https://app.example/cb")}&ui_locales=de`,
        { headers: { accept: "text/html" }, redirect: "manual" },
      );
      const html = await page.text();
      assert.equal(page.status, 500);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      const requestId = page.headers.get("x-request-id") ?? "";
      assert.notEqual(requestId, "");
      assert.ok(html.includes(requestId), "the page quotes the request id");
      // The page's text, not its style sheet (which styles `.error`).
      assert.doesNotMatch(html.replace(/<style>.*<\/style>/s, ""), /Error|decrypt|authenticate|oops/i);
      const ids = await auditedRequestIds(apiKey, "sso faults: page");
      assert.ok(ids.includes(requestId));
    });
  });
}
