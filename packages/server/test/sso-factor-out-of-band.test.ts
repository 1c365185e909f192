import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { insertSealedAuthenticator } from "../src/authenticators/authenticator-secret.ts";
import { addressGroup } from "../src/rate-limits/address-group.ts";
import { until } from "./helpers/link.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import {
  auditedWith,
  type Browser,
  createTestApp,
  formsOf,
  type Page,
  type PageForm,
  redeem,
  type SsoSignInOptions,
  ssoSignInUntil,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The out-of-band factors on the SSO sign-in pages (sso/interactions/factors/out-of-band-factor.ts):
 * the choice page lists the user's devices masked, "send code" is a CSRF-checked POST, the code
 * form is bound to this sign-in, a resend supersedes, wrong codes count, expired codes say so.
 * E-mail codes travel over real SMTP to the sink and are read from it.
 */
for (const backend of backends) {
  suite(`SSO out-of-band factors (${backend})`, () => {
    let s: TestServer;
    let smtp: SmtpSink;
    let n = 0;
    before(async () => {
      smtp = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(smtp) });
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });

    /**
     * A user with a verified e-mail device, the row POST /v1/authenticators {type: "email"} makes
     * once its verification code was confirmed (that binding is the challenge devices' own flow,
     * tested with them): the address sealed in secret_enc, activated.
     */
    const setup = async (settings: Parameters<TestServer["tenant"]>[1] = {}, domain = "example.test") => {
      const { tenant, apiKey } = await s.tenant(undefined, settings);
      n += 1;
      const username = `oob${n}`;
      const address = `${username}.person@${domain}`;
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse battery", email: address },
        scenario: "sso oob: setup",
      });
      const userId = (created.body.user as { id: string }).id;
      const device = await insertSealedAuthenticator(
        s.server.ctx,
        {
          tenant_id: tenant.id,
          serial: `MAIL${n}${backend}`,
          type: "email",
          user_id: userId,
          activated: 1,
          algorithm: "none",
          digits: 6,
          period: null,
          position: 0,
        },
        Buffer.from(address, "utf8"),
        s.clock.now(),
      );
      assert.ok(device);
      const app = await createTestApp(s, tenant.id, { secondFactors: ["email"] });
      return { tenantId: tenant.id, apiKey, username, address, app, serial: device.serial };
    };
    const options = (tenantId: string, app: TestApp, username: string): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      ...app,
      username,
      password: "correct horse battery",
    });
    const post = (browser: Browser, form: PageForm, app: TestApp, fields: Record<string, string>) =>
      browser.follow(form.action, app.redirectUri, { method: "POST", form: { ...form.hidden, ...fields } });
    const asPage = (at: Page | { callback: URL }): Page => {
      assert.ok(!("callback" in at), "the sign-in ended where a page was expected");
      return at;
    };
    const codeForm = (page: Page) => formsOf(page).find((f) => f.hidden.challenge !== undefined);
    const resendForm = (page: Page) => formsOf(page).find((f) => f.hidden.action === "send");

    test("the choice page lists the e-mail device masked and a GET sends nothing", async () => {
      const { tenantId, username, address, app, serial } = await setup();
      const before = smtp.to(address).length;
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      assert.equal(at.form.hidden.factor, "email");
      assert.equal(at.form.hidden.action, "send");
      assert.ok(at.page.html.includes(`value="${serial}"`));
      assert.ok(!at.page.html.includes(address), "the full address is never shown");
      assert.ok(!at.page.html.includes("person@"), "the address is masked");
      assert.match(at.page.html, /•/);
      // Showing the page again (a reload, a prefetch) sends nothing: only the POST does.
      const again = await at.browser.follow(at.page.url, app.redirectUri);
      assert.equal(asPage(again).status, 200);
      assert.equal(smtp.to(address).length, before);
    });

    test("posting a code without a challenge, or with a forged one, is a bypass (9051)", async () => {
      const { tenantId, apiKey, username, app, serial } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const { action: _send, ...hidden } = at.form.hidden;
      const form = { ...at.form, hidden };
      const none = asPage(await post(at.browser, form, app, { serial, otp: "123456" }));
      assert.equal(none.status, 401);
      const again = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const { action: _again, ...hidden2 } = again.form.hidden;
      const forged = asPage(
        await post(again.browser, { ...again.form, hidden: hidden2 }, app, {
          serial,
          otp: "123456",
          challenge: "c".repeat(43),
          binding: "A".repeat(43),
        }),
      );
      assert.equal(forged.status, 401);
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
        "sso oob: no challenge",
      );
      assert.ok(events.filter((e) => e.subject === `user:${username}`).length >= 2);
    });

    test("a serial of another user's device is refused as a bypass", async () => {
      const first = await setup();
      const second = await setup();
      const at = await ssoSignInUntil(options(first.tenantId, first.app, first.username), "factor");
      const page = asPage(await post(at.browser, at.form, first.app, { serial: second.serial }));
      assert.equal(page.status, 401);
      assert.equal(smtp.to(second.address).length, 0);
    });

    test("a code the SMTP server refuses: the page says it could not be sent (EmailSendError)", async () => {
      // The sink answers 550 for @refused.test: a real transport failure.
      const { tenantId, apiKey, username, app } = await setup({}, "refused.test");
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const failed = asPage(await post(at.browser, at.form, app, {}));
      assert.equal(failed.status, 502);
      assert.match(failed.html, /could not be sent/);
      assert.equal(codeForm(failed), undefined, "no code form without a sent code");
      assert.equal(formsOf(failed)[0]?.hidden.action, "send", "sending again is offered");
      const events = await auditedWith(s, apiKey, ApiReturnCode.EmailSendError, "sso oob: send failed");
      assert.ok(events.some((e) => e.subject === `user:${username}`));
    });

    test("e-mail code: sent by POST, read from SMTP, a wrong code counts and stays, the right one signs in (amr otp)", async () => {
      const { tenantId, apiKey, username, address, app } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const sent = asPage(await post(at.browser, at.form, app, {}));
      assert.equal(sent.status, 200);
      assert.ok(!sent.html.includes(address));
      const code = await codeOf(address, 1);
      const form = codeForm(sent);
      assert.ok(form);
      const wrong = asPage(
        await post(at.browser, form, app, { otp: code === "000000" ? "000001" : "000000" }),
      );
      assert.equal(wrong.status, 401);
      assert.ok(codeForm(wrong), "a wrong code shows the code form again");
      await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginFailedInvalidOTP, "sso oob: wrong code");
      const done = await post(at.browser, form, app, { otp: code });
      assert.ok("callback" in done, "the right code ends the sign-in");
      const tokens = await redeem({ ...at, callbackUrl: done.callback, code: undefined, steps: [] });
      assert.deepEqual(tokens.claims()?.amr, ["pwd", "otp"]);
    });

    test("wrong codes count on the device: past otpMaxFailures even the right code is refused", async () => {
      // Two failures lock the device (the default is higher), so the test needs few posts.
      const { tenantId, apiKey, username, address, app } = await setup({ otpMaxFailures: 2 });
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const sent = asPage(await post(at.browser, at.form, app, {}));
      const code = await codeOf(address, 1);
      const form = codeForm(sent);
      assert.ok(form);
      const wrong = code === "000000" ? "000001" : "000000";
      assert.equal(asPage(await post(at.browser, form, app, { otp: wrong })).status, 401);
      // The failure that reaches the limit locks the device (423 already).
      assert.equal(asPage(await post(at.browser, form, app, { otp: wrong })).status, 423);
      const locked = asPage(await post(at.browser, form, app, { otp: code }));
      assert.equal(locked.status, 423, "the device is locked: the right code no longer signs in");
      assert.ok(codeForm(locked));
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
        "sso oob: locked",
      );
      assert.ok(events.some((e) => e.subject === `user:${username}`));
    });

    test("sending limits: counted on the end user's address; the destination's limit answers 429 with Retry-After", async () => {
      const { tenantId, apiKey, username, address, app } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      let page = asPage(await post(at.browser, at.form, app, {}));
      await codeOf(address, 1);
      // The browser's address as the pages see it (loopback here) is the source counted.
      const source = await s.server.ctx.database.db
        .selectFrom("rate_limits")
        .select("count")
        .where("key", "=", `oob:source:${tenantId}:${addressGroup("127.0.0.1")}`)
        .executeTakeFirst();
      assert.equal(source?.count, 1);
      // The production default of codes per destination per window; one more is refused.
      const limit = s.server.ctx.config.rateLimits.outOfBandPerDestination;
      assert.equal(limit, 5);
      for (let i = 2; i <= limit; i += 1) {
        s.clock.advance(1_000);
        const resend = resendForm(page);
        assert.ok(resend);
        page = asPage(await post(at.browser, resend, app, {}));
        assert.equal(page.status, 200);
        await codeOf(address, i);
      }
      const resend = resendForm(page);
      assert.ok(resend);
      const response = await at.browser.request(resend.action, { method: "POST", form: resend.hidden });
      assert.equal(response.status, 429);
      assert.ok(Number(response.headers.get("retry-after")) > 0);
      assert.match(await response.text(), /could not be sent/);
      assert.equal(smtp.to(address).length, limit);
      await auditedWith(s, apiKey, TesseraApiCode.RateLimited, "sso oob: sending limit");
    });

    test("burst: ten concurrent posts of the right code, one sign-in finishes, the others are refused", async () => {
      const { tenantId, username, address, app } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const sent = asPage(await post(at.browser, at.form, app, {}));
      const code = await codeOf(address, 1);
      const form = codeForm(sent);
      assert.ok(form);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          at.browser.request(form.action, { method: "POST", form: { ...form.hidden, otp: code } }),
        ),
      );
      for (const r of results) await r.body?.cancel();
      assert.equal(results.filter((r) => r.status === 303).length, 1, results.map((r) => r.status).join(" "));
      assert.ok(results.every((r) => r.status === 303 || r.status >= 400));
    });

    test("extremes: huge or malformed fields are a 4xx, never a 5xx", async () => {
      const { tenantId, username, app, serial } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const { action: _send, ...hidden } = at.form.hidden;
      for (const fields of [
        { challenge: "c".repeat(100_000), binding: "b", otp: "123456", serial },
        { challenge: "c", binding: "b".repeat(65), otp: "123456", serial },
        { serial: "S".repeat(10_000), action: "send" },
        { action: "x".repeat(17) },
        { action: "resend" },
        { otp: "9".repeat(17), challenge: "c", binding: "b", serial },
      ]) {
        const response = await at.browser.request(at.form.action, {
          method: "POST",
          form: { ...hidden, ...fields },
        });
        await response.body?.cancel();
        assert.ok(
          response.status >= 400 && response.status < 500,
          `${Object.keys(fields).join(",")}: ${response.status}`,
        );
      }
    });

    test("a resend supersedes the earlier code; a code is single use", async () => {
      const { tenantId, username, address, app } = await setup();
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const first = asPage(await post(at.browser, at.form, app, {}));
      const firstCode = await codeOf(address, 1);
      const resend = resendForm(first);
      assert.ok(resend);
      // A person presses "send a new code" some time later. (Two sends in the same millisecond
      // are ordered by their random ids in challenge-store.ts, so the earlier could win: reported.)
      s.clock.advance(1_000);
      const second = asPage(await post(at.browser, resend, app, {}));
      const secondCode = await codeOf(address, 2);
      const firstForm = codeForm(first);
      const secondForm = codeForm(second);
      assert.ok(firstForm && secondForm);
      assert.notEqual(firstForm.hidden.challenge, secondForm.hidden.challenge);
      const stale = asPage(await post(at.browser, firstForm, app, { otp: firstCode }));
      assert.equal(stale.status >= 400, true, "the superseded code is refused");
      const done = await post(at.browser, secondForm, app, { otp: secondCode });
      assert.ok("callback" in done);
    });

    test("a challenge sent in another sign-in of the same user is refused as a bypass", async () => {
      const { tenantId, apiKey, username, address, app } = await setup();
      const one = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const sent = asPage(await post(one.browser, one.form, app, {}));
      const code = await codeOf(address, 1);
      const foreign = codeForm(sent);
      assert.ok(foreign);
      const two = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const { action: _send, ...hidden } = two.form.hidden;
      const moved = asPage(
        await post(two.browser, { ...two.form, hidden }, app, {
          challenge: foreign.hidden.challenge ?? "",
          binding: foreign.hidden.binding ?? "",
          serial: foreign.hidden.serial ?? "",
          otp: code,
        }),
      );
      assert.equal(moved.status, 401);
      await auditedWith(
        s,
        apiKey,
        ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
        "sso oob: foreign challenge",
      );
      // The code itself was not spent by the refused post: its own sign-in still finishes with it.
      const done = await post(one.browser, foreign, app, { otp: code });
      assert.ok("callback" in done);
    });

    test("an expired code says so and offers a new one (SendOTPExpired)", async () => {
      // A code lifetime shorter than the sign-in's (both 10 minutes by default), so the code
      // expires while the sign-in is still open.
      const { tenantId, apiKey, username, address, app } = await setup({ challengeCodeTtlSeconds: 60 });
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const sent = asPage(await post(at.browser, at.form, app, {}));
      const code = await codeOf(address, 1);
      s.clock.advance(61_000);
      const form = codeForm(sent);
      assert.ok(form);
      const expired = asPage(await post(at.browser, form, app, { otp: code }));
      assert.equal(expired.status >= 400, true);
      assert.match(expired.html, /expired/);
      assert.ok(resendForm(expired), "a new code can be asked for");
      await auditedWith(s, apiKey, ApiReturnCode.SendOTPExpired, "sso oob: expired");
    });

    /** The `nth` code mailed to `address` (1-based), from the message body, once it arrived. */
    async function codeOf(address: string, nth: number): Promise<string> {
      const bodyOf = () => {
        const raw = smtp.to(address)[nth - 1]?.raw ?? "";
        return raw.slice(raw.indexOf("\r\n\r\n"));
      };
      await until(() => /\b\d{6}\b/.test(bodyOf()), `code ${nth} mailed to ${address}`);
      return /\b(\d{6})\b/.exec(bodyOf())?.[1] ?? "";
    }
  });
}
