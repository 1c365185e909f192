import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import * as oidc from "openid-client";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { updateTenant } from "../src/tenants/tenant-store.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import {
  auditedWith,
  Browser,
  createTestApp,
  discover,
  formsOf,
  type Page,
  type SsoSignInOptions,
  type SsoSignInStart,
  ssoSignIn,
  ssoSignInUntil,
  startSsoSignIn,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const password = "correct horse battery";
const secretHex = "3132333435363738393031323334353637383930";
const secret32 = encodeBase32(Buffer.from(secretHex, "hex"));
const action = { tessera_action: "register-security-key" };

/**
 * The application-initiated action `tessera_action=register-security-key` over plain HTTP: after
 * a full sign-in (password and TOTP code) the person is asked for a key, registers one (the
 * software authenticator doing what the page's script does) or declines; and the crafted cases:
 * the step posted before the factors, in another interaction, a replayed ceremony, settings
 * that do not allow the action, unknown values, a provider session that would skip the sign-in.
 */
for (const backend of backends) {
  suite(`SSO pages: the register-security-key action (${backend})`, () => {
    let s: TestServer;
    let apiKey: string;
    let tenantId: string;
    let app: TestApp;
    let origin: string;
    let n = 0;

    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant(undefined, { ssoSecondFactor: "required", ssoSelfEnrolment: true });
      apiKey = created.apiKey;
      tenantId = created.tenant.id;
      origin = new URL(s.server.ctx.publicUrl).origin;
      app = await createTestApp(s, tenantId, { name: "Field notes" });
    });
    after(() => s.close());

    /** A user with an activated TOTP token. */
    async function newUser(scenario: string) {
      n += 1;
      const username = `person${n}`;
      await s.api("POST", "/v1/users", { apiKey, body: { username, password }, scenario });
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: secret32, username },
        scenario,
      });
      return username;
    }

    const signInOptions = (username: string, over: Partial<SsoSignInOptions> = {}): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      clientId: app.clientId,
      redirectUri: app.redirectUri,
      username,
      password,
      otp: () => {
        // Each sign-in uses the next time step: a code is accepted once.
        s.clock.advance(30_000);
        return oathtoolTotp(secretHex, s.clock.now());
      },
      extraParams: action,
      ...over,
    });

    /** The interaction's path (the step pages are shown at it after each post's 303). */
    const pathOf = (page: Page) => page.url.pathname;

    /** What the page's script does first: POST webauthn-options with the form's CSRF token. */
    const askOptions = (start: SsoSignInStart, page: Page, csrf: string) =>
      start.browser.request(new URL(`${pathOf(page)}/webauthn-options`, s.url), {
        method: "POST",
        form: { csrf },
        headers: { accept: "application/json" },
      });

    async function ceremony(start: SsoSignInStart, page: Page, csrf: string) {
      const response = await askOptions(start, page, csrf);
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as {
        kind: string;
        ceremonyId: string;
        binding: string;
        options: Record<string, unknown>;
      };
    }

    async function atKeyStep(username: string, over: Partial<SsoSignInOptions> = {}) {
      const start = await ssoSignInUntil(signInOptions(username, over), "register-key");
      const keyForm = formsOf(start.page).find((f) => f.hidden.factor === "webauthn");
      assert.ok(keyForm, "the step offers a key");
      const skipForm = formsOf(start.page).find((f) => f.hidden.decision === "skip");
      assert.ok(skipForm, "the step offers 'Not now'");
      return { ...start, csrf: keyForm.hidden.csrf ?? "" };
    }

    function post(start: SsoSignInStart, page: Page, step: string, form: Record<string, string>) {
      return start.browser.follow(new URL(`${pathOf(page)}/${step}`, s.url), app.redirectUri, {
        method: "POST",
        form,
      });
    }

    const keyForm = (c: { ceremonyId: string; binding: string }, csrf: string, response: unknown) => ({
      csrf,
      factor: "webauthn",
      ceremony: c.ceremonyId,
      binding: c.binding,
      credential: JSON.stringify(response),
    });

    async function tokensOf(start: SsoSignInStart, at: Page | { callback: URL }) {
      assert.ok("callback" in at, `back at the app, not ${"html" in at ? at.html.slice(0, 400) : ""}`);
      assert.equal(at.callback.searchParams.get("error"), null);
      return oidc.authorizationCodeGrant(start.config, at.callback, {
        pkceCodeVerifier: start.codeVerifier,
        expectedState: start.state,
      });
    }

    function refusedWith(at: Page | { callback: URL }, status: number): asserts at is Page {
      assert.ok(!("callback" in at), "refused, not back at the app");
      assert.equal(at.status, status, at.html.slice(0, 300));
    }

    const keysOf = async (username: string, scenario: string) =>
      (await s.api("GET", `/v1/users/${username}/webauthn-keys`, { apiKey, scenario })).body.keys as {
        serial: string;
      }[];

    test("after password and TOTP the person registers a key; the app gets its code; the post is audited with the key", async () => {
      const scenario = "sso key action: register";
      const username = await newUser(scenario);
      const start = await atKeyStep(username);
      const c = await ceremony(start, start.page, start.csrf);
      assert.equal(c.kind, "create");
      assert.equal((c.options.user as { name: string }).name, username);
      const soft = new SoftAuthenticator();
      const at = await post(
        start,
        start.page,
        "register-key",
        keyForm(c, start.csrf, soft.create(c.options, { origin })),
      );
      const tokens = await tokensOf(start, at);
      // The key adds a factor; this sign-in was proved by the password and the code.
      assert.deepEqual(tokens.claims()?.amr, ["pwd", "otp"]);
      const keys = await keysOf(username, scenario);
      assert.equal(keys.length, 1);
      const events = await auditedWith(s, apiKey, ApiReturnCode.Success, scenario);
      assert.ok(
        events.some(
          (e) => e.subject === `authenticator:${keys[0]?.serial}` && e.operation.includes("/interaction/"),
        ),
      );
      // The ended sign-in takes nothing more: the same post again is a bypass (9051).
      const again = await post(
        start,
        start.page,
        "register-key",
        keyForm(c, start.csrf, soft.create(c.options, { origin })),
      );
      refusedWith(again, 401);
      assert.equal((await keysOf(username, scenario)).length, 1);
    });

    test("'Not now': the app gets its code without a key", async () => {
      const scenario = "sso key action: not now";
      const username = await newUser(scenario);
      const start = await atKeyStep(username);
      const at = await post(start, start.page, "register-key", { csrf: start.csrf, decision: "skip" });
      assert.deepEqual((await tokensOf(start, at)).claims()?.amr, ["pwd", "otp"]);
      assert.equal((await keysOf(username, scenario)).length, 0);
    });

    test("a third-party app: the key step comes before consent, which follows 'Not now' and a key alike", async () => {
      const scenario = "sso key action: third-party app";
      const thirdParty = await createTestApp(s, tenantId, { firstParty: false });
      const username = await newUser(scenario);
      const over = { clientId: thirdParty.clientId };
      const start = await atKeyStep(username, over);
      const next = await start.browser.follow(
        new URL(`${pathOf(start.page)}/register-key`, s.url),
        thirdParty.redirectUri,
        { method: "POST", form: { csrf: start.csrf, decision: "skip" } },
      );
      assert.ok(!("callback" in next));
      const allow = formsOf(next).find((f) => f.step === "consent" && f.hidden.decision === "allow");
      assert.ok(allow, "the consent step follows");
      const at = await start.browser.follow(allow.action, thirdParty.redirectUri, {
        method: "POST",
        form: allow.hidden,
      });
      assert.deepEqual((await tokensOf(start, at)).claims()?.amr, ["pwd", "otp"]);
    });

    test("without the action the sign-in ends after the factor, as before", async () => {
      const username = await newUser("sso key action: none asked");
      const result = await ssoSignIn(signInOptions(username, { extraParams: {} }));
      assert.deepEqual(result.steps, ["password", "factor"]);
      assert.ok(result.code);
    });

    test("the step or its ceremony before the factor is proved is a bypass (9051); nothing is registered", async () => {
      const scenario = "sso key action: before the factor";
      const username = await newUser(scenario);
      const start = await ssoSignInUntil(signInOptions(username), "factor");
      const csrf = start.form.hidden.csrf ?? "";
      const early = await post(start, start.page, "register-key", { csrf, decision: "skip" });
      refusedWith(early, 401);
      // The factor step's ceremony is an assertion of the user's keys (none): never a new key.
      assert.notEqual((await askOptions(start, start.page, csrf)).status, 200);
      // The sign-in is still at the factor: the code goes on, then the key step.
      const code = signInOptions(username).otp?.() ?? "";
      const at = await post(start, start.page, "factor", { csrf, factor: "totp", otp: code });
      assert.ok(!("callback" in at) && formsOf(at).some((f) => f.step === "register-key"));
      assert.equal((await keysOf(username, scenario)).length, 0);
      assert.ok(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass, scenario)).length > 0,
      );
    });

    test("a ceremony of another interaction (the same user's) is a bypass (9051); the step stays", async () => {
      const scenario = "sso key action: another interaction";
      const username = await newUser(scenario);
      const first = await atKeyStep(username);
      const second = await atKeyStep(username);
      const foreign = await ceremony(first, first.page, first.csrf);
      const soft = new SoftAuthenticator();
      const refused = await post(
        second,
        second.page,
        "register-key",
        keyForm(foreign, second.csrf, soft.create(foreign.options, { origin })),
      );
      refusedWith(refused, 401);
      assert.equal((await keysOf(username, scenario)).length, 0);
      // A ceremony of the enrolment step's purpose cannot be passed off here either: the binding
      // names the step. The second interaction's own ceremony still registers the key.
      const own = await ceremony(second, second.page, second.csrf);
      const at = await post(
        second,
        second.page,
        "register-key",
        keyForm(own, second.csrf, soft.create(own.options, { origin })),
      );
      await tokensOf(second, at);
      assert.equal((await keysOf(username, scenario)).length, 1);
    });

    test("a replayed ceremony: a broken answer spends it (9080), the same ceremony again is 9081, a fresh one works", async () => {
      const scenario = "sso key action: replayed ceremony";
      const username = await newUser(scenario);
      const start = await atKeyStep(username);
      const soft = new SoftAuthenticator();
      const c = await ceremony(start, start.page, start.csrf);
      const broken = soft.create(c.options, { origin, tamper: { authData: (d) => d.subarray(0, 20) } });
      const refused = await post(start, start.page, "register-key", keyForm(c, start.csrf, broken));
      refusedWith(refused, 400);
      assert.match(refused.html, /The security key was not accepted/);
      const replayed = await post(
        start,
        start.page,
        "register-key",
        keyForm(c, start.csrf, soft.create(c.options, { origin })),
      );
      refusedWith(replayed, 400);
      assert.equal((await keysOf(username, scenario)).length, 0);
      assert.ok(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserFIDOU2FInvalidRegData, scenario)).length > 0,
      );
      assert.ok(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData, scenario))
          .length > 0,
      );
      const fresh = await ceremony(start, start.page, start.csrf);
      await tokensOf(
        start,
        await post(
          start,
          start.page,
          "register-key",
          keyForm(fresh, start.csrf, soft.create(fresh.options, { origin })),
        ),
      );
      assert.equal((await keysOf(username, scenario)).length, 1);
    });

    test("burst: one registration posted 8 times at once registers one key and finishes once", async () => {
      const scenario = "sso key action: burst";
      const username = await newUser(scenario);
      const start = await atKeyStep(username);
      const c = await ceremony(start, start.page, start.csrf);
      const form = keyForm(c, start.csrf, new SoftAuthenticator().create(c.options, { origin }));
      const results = await Promise.all(
        Array.from({ length: 8 }, () => post(start, start.page, "register-key", form)),
      );
      assert.equal(results.filter((r) => "callback" in r).length, 1);
      assert.equal((await keysOf(username, scenario)).length, 1);
    });

    test("self-enrolment turned off during the sign-in: the key is refused (9051), only 'Not now' is left", async () => {
      const scenario = "sso key action: self-enrolment off";
      const other = await s.tenant(undefined, { ssoSecondFactor: "required", ssoSelfEnrolment: true });
      const otherApp = await createTestApp(s, other.tenant.id);
      await s.api("POST", "/v1/users", {
        apiKey: other.apiKey,
        body: { username: "pia", password },
        scenario,
      });
      await s.api("POST", "/v1/authenticators", {
        apiKey: other.apiKey,
        body: { type: "totp", secret: secret32, username: "pia" },
        scenario,
      });
      const over = { tenantId: other.tenant.id, clientId: otherApp.clientId };
      const start = await atKeyStep("pia", over);
      const c = await ceremony(start, start.page, start.csrf);
      // The administrator's change (as PATCH /v1/tenants stores it) while the person is at the step.
      await updateTenant(
        s.server.ctx.database.db,
        other.tenant.id,
        { ssoSelfEnrolment: false },
        s.clock.now(),
      );
      const refused = await post(
        start,
        start.page,
        "register-key",
        keyForm(c, start.csrf, new SoftAuthenticator().create(c.options, { origin })),
      );
      refusedWith(refused, 401);
      assert.equal((await askOptions(start, start.page, start.csrf)).status, 401);
      const keys = await s.api("GET", "/v1/users/pia/webauthn-keys", { apiKey: other.apiKey, scenario });
      assert.equal((keys.body.keys as unknown[]).length, 0);
      // The page shows only the way on, which still finishes the sign-in.
      const page = await start.browser.follow(new URL(pathOf(start.page), s.url), otherApp.redirectUri);
      assert.ok(!("callback" in page));
      assert.deepEqual(
        formsOf(page).map((f) => f.hidden.decision ?? f.hidden.factor),
        ["skip"],
      );
      const at = await post(start, start.page, "register-key", { csrf: start.csrf, decision: "skip" });
      await tokensOf(start, at);
      // And a new request asking for the action is refused at once (below).
      const again = await startSsoSignIn({ ...signInOptions("pia"), ...over });
      assert.ok("callback" in again.landing);
      assert.equal(again.landing.callback.searchParams.get("error"), "invalid_request");
    });

    test("refused as invalid_request to the app: an unknown value, an app without keys, a tenant without self-enrolment, a device", async () => {
      const scenario = "sso key action: invalid_request";
      const refusedAt = async (options: SsoSignInOptions) => {
        const start = await startSsoSignIn(options);
        assert.ok("callback" in start.landing, "straight back to the app");
        assert.equal(start.landing.callback.searchParams.get("error"), "invalid_request");
        assert.equal(start.landing.callback.searchParams.get("state"), start.state);
        return start.landing.callback.searchParams.get("error_description") ?? "";
      };
      const username = await newUser(scenario);
      for (const value of [
        "register-totp",
        "REGISTER-SECURITY-KEY",
        " register-security-key",
        "x".repeat(2000),
      ])
        assert.match(
          await refusedAt(signInOptions(username, { extraParams: { tessera_action: value } })),
          /tessera_action/,
        );
      const totpOnly = await createTestApp(s, tenantId, { secondFactors: ["totp"] });
      await refusedAt({ ...signInOptions(username), clientId: totpOnly.clientId });
      const closed = await s.tenant(undefined, { ssoSecondFactor: "required", ssoSelfEnrolment: false });
      const closedApp = await createTestApp(s, closed.tenant.id);
      await refusedAt({
        ...signInOptions(username),
        tenantId: closed.tenant.id,
        clientId: closedApp.clientId,
      });
      // The parameter twice: oidc-provider refuses duplicated parameters.
      const config = await discover({ baseUrl: s.url, tenantId, clientId: app.clientId });
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: app.redirectUri,
        scope: "openid",
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: "S256",
        ...action,
      });
      url.searchParams.append("tessera_action", "register-security-key");
      const landing = await new Browser().follow(url, app.redirectUri);
      assert.ok("callback" in landing);
      assert.equal(landing.callback.searchParams.get("error"), "invalid_request");
      // A device (RFC 8628) has no browser of its own to show the step in: refused there too.
      const device = await createTestApp(s, tenantId, {
        native: true,
        grantTypes: ["urn:ietf:params:oauth:grant-type:device_code"],
      });
      const deviceAuth = (extra: Record<string, string>) =>
        fetch(new URL(`/oidc/${tenantId}/device/auth`, s.url), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ client_id: device.clientId, scope: "openid", ...extra }),
        });
      assert.equal((await deviceAuth({})).status, 200);
      const refused = await deviceAuth(action);
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: string }).error, "invalid_request");
    });

    test("a browser already signed in is asked for the password and the code again (the action implies prompt=login)", async () => {
      const scenario = "sso key action: fresh sign-in";
      const username = await newUser(scenario);
      const browser = new Browser();
      const first = await ssoSignIn(signInOptions(username, { browser, extraParams: {} }));
      assert.ok(first.code);
      // Without the action the provider session signs in at once (single sign-on).
      const reused = await startSsoSignIn(signInOptions(username, { browser, extraParams: {} }));
      assert.ok("callback" in reused.landing && reused.landing.callback.searchParams.get("code"));
      // With it: the whole sign-in, then the key step.
      const result = await startSsoSignIn(signInOptions(username, { browser }));
      assert.ok(!("callback" in result.landing));
      assert.deepEqual(
        formsOf(result.landing).map((f) => f.step),
        ["password"],
      );
      const steps = await ssoSignInUntil(signInOptions(username, { browser }), "register-key");
      assert.ok(steps.page.html.includes(username));
    });
  });
}
