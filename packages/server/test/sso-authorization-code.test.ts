import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import {
  codeRequest,
  createTestApp,
  createTestUser,
  relyingParty,
  signInForCode,
  type TestApp,
  type TestUser,
  tokenRequest,
} from "./helpers/sso-grant-fixtures.ts";
import { Browser } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The authorization code grant with PKCE, through openid-client, and every way a code must not
 * work: another redirect URI, no or a `plain` PKCE challenge, a wrong verifier, a second
 * redemption (which also revokes what the first one issued), a wrong secret, an expired code,
 * another tenant's issuer.
 */
for (const backend of backends) {
  suite(`SSO authorization code + PKCE (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    let user: TestUser;
    let app: TestApp;
    let rp: oidc.Configuration;
    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      tenantId = created.tenant.id;
      user = await createTestUser(s, created.apiKey, "carla");
      app = await createTestApp(s, tenantId, {
        redirectUris: ["http://127.0.0.1/callback", "http://127.0.0.1/other"],
      });
      rp = await relyingParty(app);
    });
    after(() => s.close());

    const codeOf = (callback: URL) => callback.searchParams.get("code") ?? "";
    const redeem = (
      code: string,
      verifier: string,
      extra: Record<string, string> = {},
      secret = app.secret,
    ) =>
      tokenRequest(
        app,
        {
          grant_type: "authorization_code",
          code,
          redirect_uri: app.redirectUri,
          code_verifier: verifier,
          ...extra,
        },
        secret,
      );

    test("a confidential and a native app get tokens for the signed-in user; the code is stored only hashed", async () => {
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const raw = JSON.stringify(
        await s.server.ctx.database.db.selectFrom("sso_models").selectAll().execute(),
      );
      assert.ok(!raw.includes(codeOf(callback)));
      const tokens = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
      });
      assert.equal(tokens.claims()?.sub, user.id);
      assert.ok(tokens.refresh_token, "offline_access with prompt=consent and the refresh_token grant");
      const info = await oidc.fetchUserInfo(rp, tokens.access_token, user.id);
      assert.equal(info.preferred_username, "carla");

      const native = await createTestApp(s, tenantId, {
        kind: "native",
        redirectUris: ["http://127.0.0.1/native"],
        grantTypes: ["authorization_code"],
      });
      const nativeRp = await relyingParty(native);
      const signed = await signInForCode(s, tenantId, nativeRp, native, user);
      const nativeTokens = await oidc.authorizationCodeGrant(nativeRp, signed.callback, {
        pkceCodeVerifier: signed.request.verifier,
        expectedState: signed.request.state,
      });
      assert.equal(nativeTokens.claims()?.sub, user.id);
      assert.equal(nativeTokens.refresh_token, undefined, "no refresh_token grant: no refresh token");
    });

    test("a redirect URI that is not registered is refused without a redirect; a code is bound to its redirect URI", async () => {
      const { url } = await codeRequest(rp, app, { redirect_uri: "http://127.0.0.1/callback/../evil" });
      const refused = await new Browser().request(url);
      assert.equal(refused.status, 400);
      assert.equal(refused.headers.get("location"), null);

      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const other = await redeem(codeOf(callback), request.verifier, {
        redirect_uri: "http://127.0.0.1/other",
      });
      assert.equal(other.status, 400);
      assert.equal(other.body.error, "invalid_grant");
    });

    test("PKCE: a request without a challenge or with `plain` gets no code; a code needs its verifier", async () => {
      for (const params of [{ code_challenge_method: "plain" }, {}]) {
        const request = await codeRequest(rp, app, params);
        if (!("code_challenge_method" in params)) {
          request.url.searchParams.delete("code_challenge");
          request.url.searchParams.delete("code_challenge_method");
        } else request.url.searchParams.set("code_challenge", request.verifier);
        const answer = await new Browser().request(request.url);
        assert.equal(answer.status, 303);
        const back = new URL(answer.headers.get("location") ?? "");
        assert.equal(back.origin + back.pathname, app.redirectUri);
        assert.equal(back.searchParams.get("error"), "invalid_request", JSON.stringify(params));
        assert.equal(back.searchParams.get("code"), null);
      }
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const code = codeOf(callback);
      const missing = await tokenRequest(app, {
        grant_type: "authorization_code",
        code,
        redirect_uri: app.redirectUri,
      });
      assert.equal(missing.body.error, "invalid_grant");
      const wrong = await redeem(code, `${request.verifier.slice(1)}A`);
      assert.equal(wrong.body.error, "invalid_grant");
      assert.equal(
        (await redeem(code, request.verifier)).status,
        200,
        "failed attempts do not use the code up",
      );
    });

    test("a code redeemed twice: the second fails and revokes the tokens the first issued", async () => {
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const first = await redeem(codeOf(callback), request.verifier);
      assert.equal(first.status, 200);
      const accessToken = String(first.body.access_token);
      assert.equal((await oidc.tokenIntrospection(rp, accessToken)).active, true);
      const second = await redeem(codeOf(callback), request.verifier);
      assert.equal(second.status, 400);
      assert.equal(second.body.error, "invalid_grant");
      assert.equal((await oidc.tokenIntrospection(rp, accessToken)).active, false);
      const userinfo = await fetch(`${app.issuer.href}/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(userinfo.status, 401);
      const refreshed = await tokenRequest(app, {
        grant_type: "refresh_token",
        refresh_token: String(first.body.refresh_token),
      });
      assert.equal(refreshed.body.error, "invalid_grant");
    });

    test("10 concurrent redemptions of one code: exactly one gets tokens", async () => {
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => redeem(codeOf(callback), request.verifier)),
      );
      assert.equal(
        answers.filter((a) => a.status === 200).length,
        1,
        JSON.stringify(answers.map((a) => a.status)),
      );
      for (const a of answers) if (a.status !== 200) assert.equal(a.body.error, "invalid_grant");
    });

    test("a wrong client secret is invalid_client and leaves the code usable", async () => {
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const wrong = await redeem(codeOf(callback), request.verifier, {}, `${app.secret}x`);
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error, "invalid_client");
      assert.equal((await redeem(codeOf(callback), request.verifier)).status, 200);
    });

    test("a code expires after 60 seconds by the server clock", async () => {
      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      s.clock.advance(60_000);
      const late = await redeem(codeOf(callback), request.verifier);
      assert.equal(late.status, 400);
      assert.equal(late.body.error, "invalid_grant");
    });

    test("extreme values at the token endpoint are a 4xx, never a 5xx or a hang", async () => {
      const huge = "A".repeat(40_000);
      const cases: Record<string, string>[] = [
        { grant_type: "authorization_code", code: huge, redirect_uri: app.redirectUri, code_verifier: huge },
        { grant_type: "authorization_code", code: "", redirect_uri: app.redirectUri, code_verifier: "x" },
        { grant_type: "authorization_code", code: "2147483648", redirect_uri: huge, code_verifier: "-1" },
        { grant_type: "refresh_token", refresh_token: huge },
        { grant_type: "refresh_token", refresh_token: "9007199254740993.5" },
        { grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: huge },
        { grant_type: huge },
        { grant_type: "client_credentials", scope: huge },
        { grant_type: "authorization_code", code: "A".repeat(60_000) },
      ];
      for (const form of cases) {
        const answer = await tokenRequest(app, form);
        assert.ok(
          answer.status >= 400 && answer.status < 500,
          `${answer.status} ${JSON.stringify(answer.body)}`,
        );
        assert.equal(typeof answer.body.error, "string");
      }
    });

    test("another tenant's issuer knows neither the app nor its codes", async () => {
      const other = (await s.tenant()).tenant.id;
      const elsewhere: TestApp = { ...app, issuer: new URL(`/oidc/${other}`, s.url) };
      const { url } = await codeRequest(rp, app);
      const foreign = new URL(url.href.replace(`/oidc/${tenantId}/`, `/oidc/${other}/`));
      const refused = await new Browser().request(foreign);
      assert.equal(refused.status, 400);
      assert.equal(refused.headers.get("location"), null);

      const { request, callback } = await signInForCode(s, tenantId, rp, app, user);
      const crossed = await tokenRequest(elsewhere, {
        grant_type: "authorization_code",
        code: codeOf(callback),
        redirect_uri: app.redirectUri,
        code_verifier: request.verifier,
      });
      assert.equal(crossed.status, 401);
      assert.equal(crossed.body.error, "invalid_client");
      assert.equal(
        (await redeem(codeOf(callback), request.verifier)).status,
        200,
        "still good at its own issuer",
      );
    });
  });
}
