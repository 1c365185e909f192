import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
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
 * Refresh tokens: issued only when the app allows the grant and the user granted offline_access;
 * rotated on every use; a rotated token used again revokes the whole family (every refresh and
 * access token of the grant), since one of the two users of that token is not the app.
 */
for (const backend of backends) {
  suite(`SSO refresh tokens (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    let user: TestUser;
    let app: TestApp;
    let rp: oidc.Configuration;
    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      tenantId = created.tenant.id;
      user = await createTestUser(s, created.apiKey, "dora");
      app = await createTestApp(s, tenantId);
      rp = await relyingParty(app);
    });
    after(() => s.close());

    async function signedIn(extra: Record<string, string> = {}, forApp = app, forRp = rp) {
      const { request, callback } = await signInForCode(s, tenantId, forRp, forApp, user, extra);
      return oidc.authorizationCodeGrant(forRp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
    }
    const refresh = (token: string, forApp = app) =>
      tokenRequest(forApp, { grant_type: "refresh_token", refresh_token: token });
    const active = async (accessToken: string) => (await oidc.tokenIntrospection(rp, accessToken)).active;

    test("every use rotates; reusing a rotated token revokes the family: the newest refresh token and every access token", async () => {
      const first = await signedIn();
      const r1 = String(first.refresh_token);
      const second = await refresh(r1);
      assert.equal(second.status, 200);
      const r2 = String(second.body.refresh_token);
      assert.notEqual(r2, r1, "rotated");
      const third = await refresh(r2);
      assert.equal(third.status, 200);
      const r3 = String(third.body.refresh_token);
      const accessTokens = [
        first.access_token,
        String(second.body.access_token),
        String(third.body.access_token),
      ];
      for (const token of accessTokens) assert.equal(await active(token), true);

      const replay = await refresh(r1);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, "invalid_grant");
      assert.equal(
        (await refresh(r3)).body.error,
        "invalid_grant",
        "the newest refresh token is revoked too",
      );
      for (const token of accessTokens) assert.equal(await active(token), false);
      const userinfo = await fetch(`${app.issuer.href}/me`, {
        headers: { authorization: `Bearer ${accessTokens[2]}` },
      });
      assert.equal(userinfo.status, 401);
    });

    test("10 concurrent uses of one refresh token: exactly one succeeds", async () => {
      const { refresh_token: token } = await signedIn();
      const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(String(token))));
      assert.equal(
        answers.filter((a) => a.status === 200).length,
        1,
        JSON.stringify(answers.map((a) => a.status)),
      );
      for (const a of answers) if (a.status !== 200) assert.equal(a.body.error, "invalid_grant");
    });

    test("issued only for offline_access asked with prompt=consent, to an app allowed the refresh_token grant", async () => {
      assert.equal(
        (await signedIn({ scope: "openid profile" })).refresh_token,
        undefined,
        "no offline_access",
      );
      const noPrompt = await signedIn({ prompt: "login" });
      assert.equal(noPrompt.refresh_token, undefined, "offline_access without prompt=consent is dropped");
      const codeOnly = await createTestApp(s, tenantId, { grantTypes: ["authorization_code"] });
      const codeOnlyRp = await relyingParty(codeOnly);
      assert.equal((await signedIn({}, codeOnly, codeOnlyRp)).refresh_token, undefined);
    });

    test("a refresh token works for its own app only, and not after its 14 days", async () => {
      const { refresh_token: token } = await signedIn();
      const other = await createTestApp(s, tenantId);
      const stolen = await refresh(String(token), other);
      assert.equal(stolen.body.error, "invalid_grant");
      s.clock.advance(14 * 86_400_000);
      const late = await refresh(String(token));
      assert.equal(late.status, 400);
      assert.equal(late.body.error, "invalid_grant");
    });
  });
}
