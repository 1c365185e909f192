import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { createTestApp, relyingParty, tokenRequest } from "./helpers/sso-grant-fixtures.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The client-credentials grant: tokens for confidential apps only, with no scope beyond the app's,
 * as opaque tokens stored (hashed) so that they can be introspected and revoked.
 */
for (const backend of backends) {
  suite(`SSO client credentials (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    before(async () => {
      s = await startTestServer(backend);
      tenantId = (await s.tenant()).tenant.id;
    });
    after(() => s.close());

    test("a confidential app gets an opaque token, stored only as its hash, introspected and revocable", async () => {
      const app = await createTestApp(s, tenantId, {
        grantTypes: ["client_credentials"],
        scopes: "openid email",
      });
      const rp = await relyingParty(app);
      const tokens = await oidc.clientCredentialsGrant(rp, { scope: "email" });
      assert.equal(tokens.scope, "email");
      assert.ok(!tokens.access_token.includes("."), "opaque, not a JWT");
      const rows = await s.server.ctx.database.db
        .selectFrom("sso_models")
        .selectAll()
        .where("model", "=", "ClientCredentials")
        .where("client_id", "=", app.clientId)
        .execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.id_hash, createHash("sha256").update(tokens.access_token).digest("base64url"));
      assert.ok(!JSON.stringify(rows).includes(tokens.access_token));
      assert.equal((await oidc.tokenIntrospection(rp, tokens.access_token)).active, true);
      await oidc.tokenRevocation(rp, tokens.access_token);
      assert.equal((await oidc.tokenIntrospection(rp, tokens.access_token)).active, false);
    });

    test("no scope beyond the app's: neither a known one nor an unknown one", async () => {
      const app = await createTestApp(s, tenantId, { grantTypes: ["client_credentials"], scopes: "openid" });
      for (const scope of ["email", "admin", "openid admin"]) {
        const answer = await tokenRequest(app, { grant_type: "client_credentials", scope });
        assert.equal(answer.status, 400, scope);
        assert.equal(answer.body.error, "invalid_scope", scope);
      }
    });

    test("public apps get no client-credentials token, even with the grant in their list", async () => {
      for (const kind of ["native", "browser"] as const) {
        const app = await createTestApp(s, tenantId, { kind, grantTypes: ["client_credentials"] });
        const answer = await tokenRequest(app, { grant_type: "client_credentials" });
        assert.equal(answer.status, 400, kind);
        assert.equal(answer.body.error, "unauthorized_client", kind);
        assert.equal(answer.body.access_token, undefined);
      }
    });

    test("a wrong secret, an app without the grant and another tenant's client id are refused", async () => {
      const app = await createTestApp(s, tenantId, { grantTypes: ["client_credentials"] });
      const wrong = await tokenRequest(app, { grant_type: "client_credentials" }, `${app.secret}x`);
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error, "invalid_client");

      const codeOnly = await createTestApp(s, tenantId, { grantTypes: ["authorization_code"] });
      const refused = await tokenRequest(codeOnly, { grant_type: "client_credentials" });
      assert.equal(refused.status, 400);
      // oidc-provider's answer for a grant type outside the client's list.
      assert.equal(refused.body.error, "invalid_request");
      assert.match(String(refused.body.error_description), /grant type is not allowed/);

      const other = (await s.tenant()).tenant.id;
      const elsewhere = { ...app, issuer: new URL(`/oidc/${other}`, s.url) };
      const crossTenant = await tokenRequest(elsewhere, { grant_type: "client_credentials" });
      assert.equal(crossTenant.status, 401);
      assert.equal(crossTenant.body.error, "invalid_client");
    });
  });
}
