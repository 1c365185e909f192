import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import {
  Browser,
  createTestApp,
  formsOf,
  redeem,
  type SsoSignInOptions,
  ssoSignIn,
  startSsoSignIn,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const secret32 = encodeBase32(Buffer.from(secretHex, "hex"));

/**
 * Single sign-on across a tenant's apps: a live provider session that proved what the next app
 * requires lets a first-party web app in without a page, asks a native app for one click
 * ("continue as"), a third-party app for consent only, and never asks for the password again;
 * a session that did not prove the required second factor goes through the whole sign-in.
 */
for (const backend of backends) {
  suite(`SSO single sign-on (${backend})`, () => {
    let s: TestServer;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => s.close());

    const setup = async (settings: Parameters<TestServer["tenant"]>[1] = {}) => {
      const made = await s.tenant(undefined, settings);
      return { ...made, tenantId: made.tenant.id };
    };
    const newUser = async (apiKey: string, withToken = true) => {
      n += 1;
      const username = `sso${n}`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse battery", email: `${username}@example.test` },
        scenario: "sso single sign-on: setup",
      });
      if (withToken)
        await s.api("POST", "/v1/authenticators", {
          apiKey,
          body: { type: "totp", secret: secret32, username },
          scenario: "sso single sign-on: setup",
        });
      return username;
    };
    const options = (
      tenantId: string,
      app: TestApp,
      username: string,
      browser: Browser,
    ): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      ...app,
      username,
      password: "correct horse battery",
      otp: () => oathtoolTotp(secretHex, s.clock.now()),
      browser,
    });
    const signedInTo = async (o: SsoSignInOptions) => {
      const first = await ssoSignIn(o);
      assert.deepEqual(first.steps, ["password", "factor"]);
      await redeem(first);
    };

    test("web app A, then first-party web app B in the same browser: B gets its code without a page", async () => {
      const { tenantId, apiKey } = await setup();
      const a = await createTestApp(s, tenantId, { name: "Web" });
      const b = await createTestApp(s, tenantId, { name: "Web2" });
      const username = await newUser(apiKey);
      const browser = new Browser();
      await signedInTo(options(tenantId, a, username, browser));
      const second = await startSsoSignIn(options(tenantId, b, username, browser));
      assert.ok("callback" in second.landing, "no page is shown for B");
      const tokens = await redeem({
        ...second,
        callbackUrl: second.landing.callback,
        code: undefined,
        steps: [],
      });
      assert.deepEqual(tokens.claims()?.amr, ["pwd", "otp"], "B's ID token carries the session's methods");
      assert.equal(tokens.claims()?.aud, b.clientId);
      // A scope more than last time: still no page (a first-party app is never asked for consent).
      const wider = await startSsoSignIn({
        ...options(tenantId, b, username, browser),
        scope: "openid profile email",
      });
      assert.ok("callback" in wider.landing, "no page for a wider first-party request");
      const widerTokens = await redeem({
        ...wider,
        callbackUrl: wider.landing.callback,
        code: undefined,
        steps: [],
      });
      assert.match(String(widerTokens.scope), /email/);
    });

    test("a native app signed in once: the next sign-in is one click naming the user and the app", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId, { name: "Desk", native: true });
      const username = await newUser(apiKey);
      const browser = new Browser();
      await signedInTo(options(tenantId, app, username, browser));
      const again = await ssoSignIn(options(tenantId, app, username, browser));
      assert.deepEqual(again.steps, ["consent"], "one click, no password, no code");
      assert.ok(again.code !== undefined);
      await redeem(again);
      const shown = await startSsoSignIn(options(tenantId, app, username, browser));
      assert.ok(!("callback" in shown.landing));
      assert.match(shown.landing.html, new RegExp(`Continue as ${username} to Desk`));
      assert.match(shown.landing.html, /prompt=login/, "a 'not you? start over' link");
      assert.deepEqual(
        formsOf(shown.landing).map((f) => f.step),
        ["consent"],
      );
    });

    test("a third-party app after a sign-in elsewhere: the consent step only, naming who is signed in", async () => {
      const { tenantId, apiKey } = await setup();
      const own = await createTestApp(s, tenantId, { name: "Web" });
      const other = await createTestApp(s, tenantId, { name: "Partner", firstParty: false });
      const username = await newUser(apiKey);
      const browser = new Browser();
      await signedInTo(options(tenantId, own, username, browser));
      const shown = await startSsoSignIn(options(tenantId, other, username, browser));
      assert.ok(!("callback" in shown.landing));
      assert.match(shown.landing.html, new RegExp(`signed in as ${username}`));
      const result = await ssoSignIn(options(tenantId, other, username, browser));
      assert.deepEqual(result.steps, ["consent"]);
      await redeem(result);
    });

    test("a burst of clicks on the continue step: exactly one code; the others are refused as replays", async () => {
      const { tenantId, apiKey } = await setup();
      const app = await createTestApp(s, tenantId, { name: "Desk", native: true });
      const username = await newUser(apiKey);
      const browser = new Browser();
      await signedInTo(options(tenantId, app, username, browser));
      const shown = await startSsoSignIn(options(tenantId, app, username, browser));
      assert.ok(!("callback" in shown.landing));
      const [form] = formsOf(shown.landing);
      assert.ok(form !== undefined && form.step === "consent");
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          browser.follow(form.action, app.redirectUri, { method: "POST", form: form.hidden }),
        ),
      );
      const codes = answers.filter((a) => "callback" in a && a.callback.searchParams.get("code") !== null);
      assert.equal(codes.length, 1, "one click gets the code");
      for (const a of answers) if (!("callback" in a)) assert.equal(a.status, 401);
    });

    test("a session at one tenant is nothing at another: the other tenant's app asks for the password", async () => {
      const one = await setup();
      const other = await setup();
      const a = await createTestApp(s, one.tenantId);
      const b = await createTestApp(s, other.tenantId);
      const username = await newUser(one.apiKey);
      const browser = new Browser();
      await signedInTo(options(one.tenantId, a, username, browser));
      const shown = await startSsoSignIn(options(other.tenantId, b, username, browser));
      assert.ok(!("callback" in shown.landing));
      assert.deepEqual(
        formsOf(shown.landing).map((f) => f.step),
        ["password"],
      );
    });

    test("a password-only session and an app B that requires a second factor: the whole sign-in", async () => {
      const { tenantId, apiKey } = await setup({ ssoSecondFactor: "optional" });
      const a = await createTestApp(s, tenantId, { name: "Web" });
      const b = await createTestApp(s, tenantId, { name: "Strict", requireSecondFactor: true });
      const username = await newUser(apiKey, false);
      const browser = new Browser();
      const first = await ssoSignIn(options(tenantId, a, username, browser));
      assert.deepEqual(first.steps, ["password"]);
      await redeem(first);
      const shown = await startSsoSignIn(options(tenantId, b, username, browser));
      assert.ok(!("callback" in shown.landing));
      assert.deepEqual(
        formsOf(shown.landing).map((f) => f.step),
        ["password"],
      );
    });
  });
}
