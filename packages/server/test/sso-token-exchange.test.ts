import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import * as oidc from "openid-client";
import { TOKEN_EXCHANGE_GRANT_TYPE } from "../src/sso/apps/app.ts";
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
 * Token exchange (RFC 8693): a program's access token (app A, native) exchanged for an access
 * token of another app of the tenant (B, confidential: it introspects what it gets). The issued
 * token is B's, for the same user, with at most the scopes both hold, no refresh token, never
 * outliving the subject, and it ends with the sign-in it came from.
 */
const scenario = "sso: token exchange";
const ACCESS = "urn:ietf:params:oauth:token-type:access_token";
const NATIVE_GRANTS = ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT_TYPE] as const;

for (const backend of backends) {
  suite(`SSO token exchange (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    let apiKey = "";
    let user: TestUser;
    let a: TestApp;
    let b: TestApp;
    let rpA: oidc.Configuration;
    let rpB: oidc.Configuration;
    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      tenantId = created.tenant.id;
      apiKey = created.apiKey;
      user = await createTestUser(s, apiKey, "erin");
      a = await createTestApp(s, tenantId, { kind: "native", grantTypes: [...NATIVE_GRANTS] });
      b = await createTestApp(s, tenantId, { scopes: "openid profile email" });
      rpA = await relyingParty(a);
      rpB = await relyingParty(b);
    });
    after(() => s.close());

    /** A's tokens after a sign-in with password and TOTP (scope openid offline_access profile). */
    async function signedIn(app = a, rp = rpA) {
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      return oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
    }
    const exchange = (subject: string, audience: string, extra: Record<string, string> = {}, by = a) =>
      tokenRequest(by, {
        grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
        subject_token: subject,
        subject_token_type: ACCESS,
        audience,
        ...extra,
      });
    const introspect = (token: string, rp = rpB) => oidc.tokenIntrospection(rp, token);

    test("A's access token becomes B's: B introspects it, userinfo takes it, no refresh token, audited", async () => {
      const tokens = await signedIn();
      const r = await exchange(tokens.access_token, b.clientId);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.issued_token_type, ACCESS);
      assert.equal(r.body.token_type, "Bearer");
      assert.equal(r.body.refresh_token, undefined);
      assert.equal(r.body.scope, "openid profile", "B's scopes that the sign-in holds");
      const expiresIn = Number(r.body.expires_in);
      assert.ok(expiresIn > 0 && expiresIn <= 600, String(expiresIn));
      const token = String(r.body.access_token);
      const seen = await introspect(token);
      assert.equal(seen.active, true);
      assert.equal(seen.client_id, b.clientId);
      assert.equal(seen.sub, user.id);
      assert.deepEqual(seen.amr, ["pwd", "otp"]);
      assert.equal((await introspect(token, rpA)).active, false, "A may not introspect B's token");
      const info = await oidc.fetchUserInfo(rpB, token, user.id);
      assert.equal(info.preferred_username, "erin");

      const trail = await s.api(
        "GET",
        `/v1/audit?operation=${encodeURIComponent(`oidc.token ${TOKEN_EXCHANGE_GRANT_TYPE}`)}&resultCode=0`,
        { apiKey, scenario },
      );
      const events = trail.body.events as { actor: string; subject: string }[];
      assert.ok(
        events.some((e) => e.actor === `app:${a.clientId}` && e.subject === "user:erin"),
        JSON.stringify(events),
      );
    });
  });
}
