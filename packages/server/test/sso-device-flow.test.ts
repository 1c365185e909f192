import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import { DEVICE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import {
  approveDevice,
  createTestApp,
  createTestUser,
  relyingParty,
  type TestApp,
  type TestUser,
  tokenRequest,
} from "./helpers/sso-grant-fixtures.ts";
import { Browser } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The device authorization grant (RFC 8628) end to end: the device asks for a code, the user
 * enters it on the user-code page and signs in, the device polls the token endpoint (pending,
 * slow_down when too fast, then tokens); a device code expires by the server clock and is
 * redeemed once.
 */
const POLL_MS = 5000;
const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

for (const backend of backends) {
  suite(`SSO device authorization grant (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    let user: TestUser;
    let app: TestApp;
    let rp: oidc.Configuration;
    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      tenantId = created.tenant.id;
      user = await createTestUser(s, created.apiKey, "emil");
      app = await createTestApp(s, tenantId, {
        kind: "native",
        grantTypes: [DEVICE_GRANT_TYPE, "refresh_token"],
        redirectUris: [],
      });
      rp = await relyingParty(app);
    });
    after(() => s.close());

    const poll = (deviceCode: string) =>
      tokenRequest(app, { grant_type: DEVICE_GRANT_TYPE, device_code: deviceCode });

    test("pending, slow_down when polled too fast, tokens once approved; a second redemption fails and revokes them", async () => {
      const started = await oidc.initiateDeviceAuthorization(rp, { scope: "openid offline_access" });
      assert.equal((await poll(started.device_code)).body.error, "authorization_pending");
      const tooSoon = await poll(started.device_code);
      assert.equal(tooSoon.status, 400);
      assert.equal(tooSoon.body.error, "slow_down");
      s.clock.advance(POLL_MS);
      assert.equal((await poll(started.device_code)).body.error, "authorization_pending");

      await approveDevice(s, tenantId, app, user, started);
      s.clock.advance(POLL_MS);
      const tokens = await poll(started.device_code);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.ok(tokens.body.refresh_token, "offline_access was asked and the app may refresh");
      const accessToken = String(tokens.body.access_token);
      assert.equal((await oidc.fetchUserInfo(rp, accessToken, user.id)).sub, user.id);

      s.clock.advance(POLL_MS);
      const again = await poll(started.device_code);
      assert.equal(again.status, 400);
      assert.equal(again.body.error, "invalid_grant");
      const userinfo = await fetch(`${app.issuer.href}/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(userinfo.status, 401, "the second redemption revoked what the first was issued");
    });

    test("a burst of 10 polls gets one answer; the other nine are slow_down", async () => {
      const started = await oidc.initiateDeviceAuthorization(rp, { scope: "openid" });
      const answers = await Promise.all(Array.from({ length: 10 }, () => poll(started.device_code)));
      const errors = answers.map((a) => String(a.body.error));
      assert.equal(errors.filter((e) => e === "authorization_pending").length, 1, errors.join());
      assert.equal(errors.filter((e) => e === "slow_down").length, 9, errors.join());
    });

    test("the user-code page takes 20 posts a minute from one address: a burst of 30 guesses gets 10 refusals, the right code too", async () => {
      s.clock.advance(60_000); // a window of its own: the other tests posted to the page too
      const started = await oidc.initiateDeviceAuthorization(rp, { scope: "openid" });
      const browser = new Browser();
      const page = new URL(started.verification_uri);
      const xsrf = xsrfOf(await (await browser.request(page)).text());
      const guesses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          browser.request(page, {
            method: "POST",
            form: { xsrf, user_code: `BCDF-${String(i).padStart(4, "G")}` },
          }),
        ),
      );
      const refused = guesses.filter((r) => r.status === 429);
      assert.equal(refused.length, 10, guesses.map((r) => r.status).join());
      for (const r of refused) assert.ok(Number(r.headers.get("retry-after")) > 0);
      const right = () =>
        browser.request(page, { method: "POST", form: { xsrf: "stale", user_code: started.user_code } });
      assert.equal((await right()).status, 429);
      s.clock.advance(60_000);
      const fresh = xsrfOf(await (await browser.request(page)).text());
      const confirm = await browser.request(page, {
        method: "POST",
        form: { xsrf: fresh, user_code: started.user_code },
      });
      assert.equal(confirm.status, 200);
      // The confirmation page (sso/pages/provider-pages.ts) shows the code to compare.
      assert.match(await confirm.text(), /id="user-code"/);
    });

    test("a device code expires by the server clock: expired_token, and its user code is refused", async () => {
      const started = await oidc.initiateDeviceAuthorization(rp, { scope: "openid" });
      s.clock.advance(600_000);
      const late = await poll(started.device_code);
      assert.equal(late.status, 400);
      assert.equal(late.body.error, "expired_token");
      const browser = new Browser();
      const page = new URL(started.verification_uri);
      const form = await browser.request(page);
      const refused = await browser.request(page, {
        method: "POST",
        form: { xsrf: xsrfOf(await form.text()), user_code: started.user_code },
      });
      assert.equal(refused.headers.get("location"), null);
      assert.doesNotMatch(await refused.text(), /op\.deviceConfirmForm/);
    });
  });
}
