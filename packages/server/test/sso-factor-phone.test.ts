import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { insertSealedAuthenticator } from "../src/authenticators/authenticator-secret.ts";
import { until, type WebhookReceiver, webhookReceiver } from "./helpers/link.ts";
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
 * SMS and voice codes on the SSO sign-in pages, sent through the signed JSON webhook transport
 * to a real receiver on loopback: the number is shown masked, the code read from what the
 * receiver got, and the ID token's amr names the channel (RFC 8176 `sms`, `tel`). A tenant that
 * lists no country sends nothing.
 */
for (const backend of backends) {
  suite(`SSO SMS and voice factors (${backend})`, () => {
    let s: TestServer;
    let receiver: WebhookReceiver;
    let n = 0;
    before(async () => {
      receiver = await webhookReceiver([]);
      s = await startTestServer(backend, {
        flags: {
          "outOfBand.smsTransport": "webhook",
          "outOfBand.voiceTransport": "webhook",
          "outOfBand.webhookUrl": receiver.url,
          "outOfBand.webhookSecret": "a test secret of enough length for HMAC",
        },
      });
    });
    after(async () => {
      await s.close();
      receiver.server.close();
    });

    /** A user with a verified SMS and a verified voice device (the rows binding makes). */
    const setup = async (countries: readonly string[]) => {
      const { tenant, apiKey } = await s.tenant(undefined, { challengeCountries: [...countries] });
      n += 1;
      const username = `phone${n}`;
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse battery" },
        scenario: "sso phone: setup",
      });
      const userId = (created.body.user as { id: string }).id;
      const number = `+4474001${String(n).padStart(5, "0")}`;
      for (const type of ["sms", "voice"])
        await insertSealedAuthenticator(
          s.server.ctx,
          {
            tenant_id: tenant.id,
            serial: `${type.toUpperCase()}${n}${backend}`,
            type,
            user_id: userId,
            activated: 1,
            algorithm: "none",
            digits: 6,
            period: null,
            position: 0,
          },
          Buffer.from(number, "utf8"),
          s.clock.now(),
        );
      const app = await createTestApp(s, tenant.id, { secondFactors: ["sms", "voice"] });
      return { tenantId: tenant.id, apiKey, username, number, app };
    };
    const options = (tenantId: string, app: TestApp, username: string): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      ...app,
      username,
      password: "correct horse battery",
    });
    const post = (browser: Browser, form: PageForm, app: TestApp, fields: Record<string, string> = {}) =>
      browser.follow(form.action, app.redirectUri, { method: "POST", form: { ...form.hidden, ...fields } });
    const asPage = (at: Page | { callback: URL }): Page => {
      assert.ok(!("callback" in at), "the sign-in ended where a page was expected");
      return at;
    };
    /** The code in the webhook message to `to` by `method` sent after `after` messages. */
    async function sentCode(to: string, method: string, after: number): Promise<string> {
      const mine = () =>
        receiver.received
          .map((r) => JSON.parse(r.body) as { method: string; to: string; text: string })
          .filter((m) => m.to === to && m.method === method);
      await until(() => mine().length > after, `a ${method} message to ${to}`);
      return /\d{6}/.exec(mine()[after]?.text ?? "")?.[0] ?? "";
    }

    for (const [factor, amr] of [
      ["sms", ["pwd", "otp", "sms"]],
      ["voice", ["pwd", "otp", "tel"]],
    ] as const)
      test(`${factor}: the number masked, the code from the webhook message, amr ${amr.join(" ")}`, async () => {
        const { tenantId, username, number, app } = await setup(["GB"]);
        const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
        assert.ok(!at.page.html.includes(number), "the number is never shown in full");
        assert.ok(!at.page.html.includes(number.slice(3, 10)), "the number is masked");
        const form = formsOf(at.page).find((f) => f.hidden.factor === factor);
        assert.ok(form);
        const before = receiver.received.length;
        const sent = asPage(await post(at.browser, form, app));
        assert.equal(sent.status, 200);
        assert.ok(receiver.received.length > before);
        const code = await sentCode(number, factor, 0);
        const codeForm = formsOf(sent).find((f) => f.hidden.challenge !== undefined);
        assert.ok(codeForm);
        const done = await post(at.browser, codeForm, app, { otp: code });
        assert.ok("callback" in done);
        const tokens = await redeem({ ...at, callbackUrl: done.callback, code: undefined, steps: [] });
        assert.deepEqual(tokens.claims()?.amr, amr);
      });

    test("a tenant that allows no country sends no SMS: the page says the code could not be sent", async () => {
      const { tenantId, apiKey, username, number, app } = await setup([]);
      const at = await ssoSignInUntil(options(tenantId, app, username), "factor");
      const before = receiver.received.length;
      const refused = asPage(await post(at.browser, at.form, app));
      assert.ok(refused.status >= 400);
      assert.match(refused.html, /could not be sent/);
      assert.equal(
        receiver.received.slice(before).filter((r) => r.body.includes(number)).length,
        0,
        "nothing was sent",
      );
      await auditedWith(s, apiKey, ApiReturnCode.SendOTPInvalidDeliveryMethod, "sso phone: no country");
    });
  });
}
