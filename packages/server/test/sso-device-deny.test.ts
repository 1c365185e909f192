import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import * as oidc from "openid-client";
import { DEVICE_GRANT_TYPE } from "../src/sso/apps/app.ts";
import { createTestApp, relyingParty, type TestApp, tokenRequest } from "./helpers/sso-grant-fixtures.ts";
import { auditedWith, Browser, formsOf, type Page } from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * A device sign-in (RFC 8628) that the sign-in pages refuse for good (no second factor where one
 * is required, an access policy) ends the device code at once: the device's next poll is
 * access_denied, not authorization_pending until the code expires. A refusal the person can
 * still overcome on the page (a wrong password, a disabled account the page does not name) leaves
 * the code pending, and a right retry signs in.
 */
const POLL_MS = 5000;
const PASSWORD = "a long enough password";
const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

for (const backend of backends) {
  suite(`SSO device sign-in refused (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    /** A tenant (production default: second factor required), a device app and a password-only user. */
    async function setUp(username: string, tenantOptions: { ssoSecondFactor?: "optional" } = {}) {
      const { tenant, apiKey } = await s.tenant(undefined, tenantOptions);
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: PASSWORD },
        scenario: "sso device deny: setup",
      });
      assert.equal(created.body.errorCode, 0, JSON.stringify(created.body));
      const app = await createTestApp(s, tenant.id, {
        kind: "native",
        grantTypes: [DEVICE_GRANT_TYPE],
        redirectUris: [],
      });
      const rp = await relyingParty(app);
      const started = await oidc.initiateDeviceAuthorization(rp, { scope: "openid" });
      return { tenantId: tenant.id, apiKey, app, started };
    }

    /** An hour-long window starting two hours after the test clock's hour. */
    const elsewhere = () => {
      const hour = (h: number) => `${String(h % 24).padStart(2, "0")}:00`;
      const now = new Date(s.clock.now()).getUTCHours();
      return { start: hour(now + 2), end: hour(now + 3) };
    };

    const poll = (app: TestApp, deviceCode: string) => {
      // Each poll its own interval: slow_down is not what these tests are about.
      s.clock.advance(POLL_MS);
      return tokenRequest(app, { grant_type: DEVICE_GRANT_TYPE, device_code: deviceCode });
    };

    /** Confirms the user code on the device page and arrives at the password step. */
    async function confirmCode(started: { user_code: string; verification_uri: string }) {
      const browser = new Browser();
      const page = new URL(started.verification_uri);
      const form = await browser.request(page);
      const confirm = await browser.request(page, {
        method: "POST",
        form: { xsrf: xsrfOf(await form.text()), user_code: started.user_code },
      });
      const signIn = await browser.follow(page, "urn:tessera:test:none", {
        method: "POST",
        form: { xsrf: xsrfOf(await confirm.text()), user_code: started.user_code, confirm: "yes" },
      });
      assert.ok(!("callback" in signIn));
      return { browser, signIn };
    }

    async function postPassword(browser: Browser, at: Page, username: string, password: string) {
      const form = formsOf(at).find((f) => f.step === "password");
      assert.ok(form !== undefined, `a password form: ${at.html.slice(0, 300)}`);
      const answer = await browser.follow(form.action, "urn:tessera:test:none", {
        method: "POST",
        form: { ...form.hidden, username, password },
      });
      assert.ok(!("callback" in answer));
      return answer;
    }

    test("no second factor where one is required: the refusal page, and the next poll is access_denied", async () => {
      const { apiKey, app, started } = await setUp("nofactor");
      assert.equal((await poll(app, started.device_code)).body.error, "authorization_pending");
      const { browser, signIn } = await confirmCode(started);
      const refused = await postPassword(browser, signIn, "nofactor", PASSWORD);
      assert.match(refused.html, /no second factor set up/);
      const answer = await poll(app, started.device_code);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, "access_denied", JSON.stringify(answer.body));
      // The page's link back (the device flow's resume route) after the code was ended: a page
      // saying so, not a server error, and the code stays refused.
      const back = /<a href="([^"]+)">Back to /.exec(refused.html)?.[1];
      assert.ok(back !== undefined, "a link back");
      const resumed = await browser.follow(new URL(back.replaceAll("&amp;", "&"), refused.url), "urn:none");
      assert.ok(!("callback" in resumed) && resumed.status < 500, `${"status" in resumed && resumed.status}`);
      // The refusal was the code's one answer: a later poll finds it used (never pending again).
      const again = await poll(app, started.device_code);
      assert.equal(again.status, 400);
      assert.equal(again.body.error, "invalid_grant");
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SystemTwoFactorNotSet,
        "sso device deny: no second factor",
      );
      assert.equal(events.length, 1, "the refusal is in the audit trail");
    });

    test("an access policy denies after the right password: the next poll is access_denied, the rule audited", async () => {
      const { apiKey, app, started } = await setUp("policed");
      const put = await s.api("PUT", `/v1/policies/apps/${app.clientId}`, {
        apiKey,
        // A window that the test clock is not in: the rule refuses this sign-in.
        body: { timeOfDay: { timeZone: "UTC", windows: [elsewhere()], mode: "enforce" } },
        scenario: "sso device deny: policy",
      });
      assert.equal(put.body.errorCode, 0, JSON.stringify(put.body));
      const { browser, signIn } = await confirmCode(started);
      await postPassword(browser, signIn, "policed", PASSWORD);
      const answer = await poll(app, started.device_code);
      assert.equal(answer.body.error, "access_denied", JSON.stringify(answer.body));
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.SSOPolicyTimeRestriction,
        "sso device deny: policy",
      );
      assert.ok(events.length >= 1, "the denial is in the audit trail");
    });

    test("a wrong password, or a disabled account, stays pending; a right retry signs in", async () => {
      // A password-only tenant keeps this test about the password step, not the second factor.
      const { tenantId, apiKey, app, started } = await setUp("retry", { ssoSecondFactor: "optional" });
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "gone", password: PASSWORD },
        scenario: "sso device deny: setup",
      });
      const disabled = await s.api("PATCH", "/v1/users/gone", {
        apiKey,
        body: { disabled: true },
        scenario: "sso device deny: disable",
      });
      assert.equal(disabled.body.errorCode, 0, JSON.stringify(disabled.body));
      const { browser, signIn } = await confirmCode(started);
      const wrong = await postPassword(browser, signIn, "retry", "not the password");
      assert.equal(wrong.status, 401);
      assert.equal((await poll(app, started.device_code)).body.error, "authorization_pending");
      // The page says only "sign-in failed" for a disabled account, as for an unknown one: ending
      // the device code here would tell whoever started it that the account exists.
      const gone = await postPassword(browser, wrong, "gone", PASSWORD);
      assert.equal(gone.status, 401);
      assert.equal((await poll(app, started.device_code)).body.error, "authorization_pending");
      const done = await postPassword(browser, gone, "retry", PASSWORD);
      assert.ok(done.url.pathname.startsWith(`/oidc/${tenantId}/device/`), done.url.pathname);
      const tokens = await poll(app, started.device_code);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginDisabled, "sso device deny: disabled"))
          .length,
        1,
      );
    });
  });
}
