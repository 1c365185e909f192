import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { DEVICE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import {
  createTestApp,
  createTestUser,
  relyingParty,
  signInForCode,
  type TestApp,
  type TestUser,
  tokenRequest,
} from "./helpers/sso-grant-fixtures.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Token-endpoint outcomes land in the tenant's audit trail (read back through GET /v1/audit):
 * which app, which user, which grant type and which outcome, and a revoked grant, never a token,
 * code or secret.
 */
interface Event {
  actor: string;
  subject: string | null;
  operation: string;
  resultCode: number;
  requestId: string | null;
  sourceIp: string | null;
}

for (const backend of backends) {
  suite(`SSO token endpoint in the audit trail (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    let user: TestUser;
    let app: TestApp;
    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      apiKey = created.apiKey;
      tenantId = created.tenant.id;
      user = await createTestUser(s, apiKey, "grete");
      app = await createTestApp(s, tenantId, {
        grantTypes: ["authorization_code", "refresh_token", "client_credentials", DEVICE_GRANT_TYPE],
      });
    });
    after(() => s.close());

    /** The tenant's SSO events (operation oidc.*), oldest first, read through the API. */
    async function ssoEvents(scenario: string): Promise<Event[]> {
      await s.server.ctx.audit.flush();
      const answer = await s.api("GET", "/v1/audit?limit=500", { apiKey, scenario });
      const events = (answer.body.events as Event[]).filter((e) => e.operation.startsWith("oidc."));
      for (const e of events) recordObservedCode("api", e.resultCode, `${scenario}: ${e.operation}`);
      return events.reverse();
    }

    test("grants, failures and a revocation are recorded with app, user and outcome; no token, code or secret", async () => {
      const rp = await relyingParty(app);
      const credentials = await oidc.clientCredentialsGrant(rp);
      const wrongSecret = await tokenRequest(app, { grant_type: "client_credentials" }, `${app.secret}x`);
      assert.equal(wrongSecret.body.error, "invalid_client");
      const unknownGrant = await tokenRequest(app, {
        grant_type: "password",
        username: "grete",
        password: "x",
      });
      assert.equal(unknownGrant.body.error, "unsupported_grant_type");
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const form = {
        grant_type: "authorization_code",
        code: callback.searchParams.get("code") ?? "",
        redirect_uri: app.redirectUri,
        code_verifier: request.verifier,
      };
      const first = await tokenRequest(app, form);
      assert.equal(first.status, 200);
      assert.equal((await tokenRequest(app, form)).body.error, "invalid_grant");
      const device = await oidc.initiateDeviceAuthorization(rp, { scope: "openid" });
      const pending = await tokenRequest(app, {
        grant_type: DEVICE_GRANT_TYPE,
        device_code: device.device_code,
      });
      assert.equal(pending.body.error, "authorization_pending");
      const again = await signInForCode(s, tenantId, rp, app, user);
      const second = await tokenRequest(app, {
        ...form,
        code: again.callback.searchParams.get("code") ?? "",
        code_verifier: again.request.verifier,
      });
      await oidc.tokenRevocation(rp, String(second.body.refresh_token));

      const events = await ssoEvents("sso audit: token endpoint");
      const actor = `app:${app.clientId}`;
      const summary = events.map((e) => [e.operation, e.actor, e.subject, e.resultCode]);
      assert.deepEqual(summary, [
        ["oidc.token client_credentials", actor, actor, ApiReturnCode.Success],
        ["oidc.token client_credentials", "anonymous", actor, ApiReturnCode.PartnerLoginFailed],
        ["oidc.token", actor, actor, TesseraApiCode.MalformedRequest],
        ["oidc.token authorization_code", actor, "user:grete", ApiReturnCode.Success],
        ["oidc.token authorization_code", actor, actor, ApiReturnCode.PartnerUserLoginFailedInvalidToken],
        ["oidc.grant.revoke", actor, actor, ApiReturnCode.Success],
        ["oidc.token authorization_code", actor, "user:grete", ApiReturnCode.Success],
        ["oidc.grant.revoke", actor, actor, ApiReturnCode.Success],
      ]);
      for (const e of events) assert.ok(e.requestId, "each event names its request");

      const trail = JSON.stringify(
        await s.server.ctx.database.db.selectFrom("audit_events").selectAll().execute(),
      );
      const secrets = [
        credentials.access_token,
        String(first.body.access_token),
        String(first.body.refresh_token),
        String(second.body.refresh_token),
        form.code,
        form.code_verifier,
        device.device_code,
        device.user_code,
        String(app.secret),
      ];
      for (const secret of secrets) assert.ok(!trail.includes(secret), "a secret reached the trail");
    });

    test("behind a trusted proxy, the client's address is the one the proxy saw, not what the client wrote in X-Forwarded-For", async () => {
      // This test trusts the loopback proxy for itself: the default trusts none (and then the
      // header is ignored altogether). A client that prepends its own X-Forwarded-For value must
      // not pick its address at the token endpoint (audit, limits), as it cannot at the API.
      const proxied = await startTestServer(backend, { flags: { trustedProxies: "127.0.0.1/32,::1/128" } });
      try {
        const created = await proxied.tenant();
        const proxiedApp = await createTestApp(proxied, created.tenant.id, {
          grantTypes: ["client_credentials"],
        });
        const answer = await tokenRequest(
          proxiedApp,
          { grant_type: "client_credentials" },
          proxiedApp.secret,
          {
            "x-forwarded-for": "203.0.113.77, 198.51.100.5",
          },
        );
        assert.equal(answer.status, 200);
        await proxied.server.ctx.audit.flush();
        const read = await proxied.api("GET", "/v1/audit?limit=50", {
          apiKey: created.apiKey,
          scenario: "sso audit: forwarded-for",
        });
        const granted = (read.body.events as Event[]).filter(
          (e) => e.operation === "oidc.token client_credentials",
        );
        assert.deepEqual(
          granted.map((e) => e.sourceIp),
          ["198.51.100.5"],
        );
      } finally {
        await proxied.close();
      }
    });
  });
}
