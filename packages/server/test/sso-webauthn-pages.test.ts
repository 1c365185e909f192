import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import * as oidc from "openid-client";
import { insertSealedAuthenticator } from "../src/authenticators/authenticator-secret.ts";
import { SoftAuthenticator, type SoftCredential } from "./helpers/soft-authenticator.ts";
import {
  auditedWith,
  type Browser,
  createTestApp,
  formsOf,
  type Page,
  type SsoSignInOptions,
  type SsoSignInStart,
  ssoSignInUntil,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { storedKey } from "./helpers/webauthn-keys.ts";

const password = "correct horse battery";

/**
 * The WebAuthn parts of the sign-in pages over plain HTTP, with the software authenticator doing
 * what the page's script does in a browser: the factor's ceremony for the signed-in user, the
 * passkey on the first page, and the crafted posts a browser never makes (another user's key, a
 * reused ceremony, a ceremony from elsewhere, skipped steps, a burst of one assertion).
 */
for (const backend of backends) {
  suite(`SSO pages: security keys and passkeys (${backend})`, () => {
    let s: TestServer;
    let apiKey: string;
    let tenantId: string;
    let app: TestApp;
    let origin: string;
    const keys = new Map<string, { soft: SoftAuthenticator; credential: SoftCredential }>();
    const userIds = new Map<string, string>();

    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      apiKey = created.apiKey;
      tenantId = created.tenant.id;
      origin = new URL(s.server.ctx.publicUrl).origin;
      const rpId = new URL(s.server.ctx.publicUrl).hostname;
      app = await createTestApp(s, tenantId, { name: "Field notes" });
      for (const username of ["kim", "lee", "max", "noa"]) {
        const r = await s.api("POST", "/v1/users", {
          apiKey,
          body: { username, password },
          scenario: "sso webauthn pages: setup",
        });
        userIds.set(username, String((r.body.user as { id: string }).id));
      }
      // kim, lee and max hold a key each; noa has none.
      for (const username of ["kim", "lee", "max"]) {
        const userId = userIds.get(username) ?? "";
        keys.set(username, await storedKey(s, { tenantId, userId, serial: `KEY-${username}`, rpId }));
      }
    });
    after(() => s.close());

    const signInOptions = (username: string): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      clientId: app.clientId,
      redirectUri: app.redirectUri,
      username,
      password,
    });

    const interactionOf = (page: Page) => page.url.pathname.replace(/\/(factor|password|enrol)$/, "");

    /** What the page's script does first: a ceremony for the step the sign-in is at. */
    async function ceremony(browser: Browser, page: Page, csrf: string) {
      const response = await browser.request(new URL(`${interactionOf(page)}/webauthn-options`, s.url), {
        method: "POST",
        form: { csrf },
        headers: { accept: "application/json" },
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as {
        kind: string;
        ceremonyId: string;
        binding: string;
        options: Record<string, unknown>;
      };
    }

    async function atFactor(username: string) {
      const start = await ssoSignInUntil(signInOptions(username), "factor");
      const form = formsOf(start.page).find((f) => f.hidden.factor === "webauthn");
      assert.ok(form, "the factor page offers the security key");
      return { ...start, csrf: form.hidden.csrf ?? "" };
    }

    function post(start: SsoSignInStart, page: Page, step: string, form: Record<string, string>) {
      return start.browser.follow(new URL(`${interactionOf(page)}/${step}`, s.url), app.redirectUri, {
        method: "POST",
        form,
      });
    }

    async function amrOf(start: SsoSignInStart, at: Page | { callback: URL }) {
      assert.ok("callback" in at, `signed in, not ${"html" in at ? at.html.slice(0, 400) : ""}`);
      const tokens = await oidc.authorizationCodeGrant(start.config, at.callback, {
        pkceCodeVerifier: start.codeVerifier,
        expectedState: start.state,
      });
      return tokens.claims()?.amr;
    }

    /** A refusal page (no sign-in), with its status. */
    function refusedWith(at: Page | { callback: URL }, status: number): asserts at is Page {
      assert.ok(!("callback" in at), "refused, not signed in");
      assert.equal(at.status, status, at.html.slice(0, 300));
    }

    const key = (username: string) => {
      const k = keys.get(username);
      if (k === undefined) throw new Error(`no key for ${username}`);
      return k;
    };

    test("the key as second factor: options name the user's key; with UV amr pwd otp hwk user", async () => {
      const start = await atFactor("kim");
      const c = await ceremony(start.browser, start.page, start.csrf);
      assert.equal(c.kind, "get");
      const allowed = (c.options.allowCredentials as { id: string }[]).map((a) => a.id);
      assert.deepEqual(allowed, [key("kim").credential.id.toString("base64url")]);
      const assertion = key("kim").soft.get(c.options, { origin });
      const at = await post(start, start.page, "factor", {
        csrf: start.csrf,
        factor: "webauthn",
        ceremony: c.ceremonyId,
        binding: c.binding,
        credential: JSON.stringify(assertion),
      });
      assert.deepEqual(await amrOf(start, at), ["pwd", "otp", "hwk", "user"]);
    });

    test("a key that did not verify the user: amr pwd otp hwk, no user", async () => {
      const start = await atFactor("lee");
      const c = await ceremony(start.browser, start.page, start.csrf);
      const assertion = key("lee").soft.get(c.options, { origin, uv: false });
      const at = await post(start, start.page, "factor", {
        csrf: start.csrf,
        factor: "webauthn",
        ceremony: c.ceremonyId,
        binding: c.binding,
        credential: JSON.stringify(assertion),
      });
      assert.deepEqual(await amrOf(start, at), ["pwd", "otp", "hwk"]);
    });

    test("an assertion by another user's key is refused (9093) and the step stays", async () => {
      const start = await atFactor("max");
      const c = await ceremony(start.browser, start.page, start.csrf);
      const other = key("kim");
      const assertion = other.soft.get(c.options, { origin, credential: other.credential });
      const refused = await post(start, start.page, "factor", {
        csrf: start.csrf,
        factor: "webauthn",
        ceremony: c.ceremonyId,
        binding: c.binding,
        credential: JSON.stringify(assertion),
      });
      assert.ok(!("callback" in refused));
      assert.equal(refused.status, 400);
      assert.match(refused.html, /The security key was not accepted/);
      const events = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.BogusUniqueDeviceId,
        "sso webauthn: other user's key",
      );
      assert.ok(events.some((e) => e.subject === "user:max"));
      // Max's own key still signs in on the same page.
      const again = await ceremony(start.browser, start.page, start.csrf);
      const own = key("max").soft.get(again.options, { origin });
      const at = await post(start, start.page, "factor", {
        csrf: start.csrf,
        factor: "webauthn",
        ceremony: again.ceremonyId,
        binding: again.binding,
        credential: JSON.stringify(own),
      });
      assert.ok("callback" in at);
    });

    const factorForm = (c: { ceremonyId: string; binding: string }, csrf: string, assertion: unknown) => ({
      csrf,
      factor: "webauthn",
      ceremony: c.ceremonyId,
      binding: c.binding,
      credential: JSON.stringify(assertion),
    });

    test("a ceremony is single use: a forged signature spends it (9086), the same ceremony again is 9081", async () => {
      const start = await atFactor("kim");
      const c = await ceremony(start.browser, start.page, start.csrf);
      const forged = key("kim").soft.get(c.options, {
        origin,
        tamper: {
          signature: (sig) => Buffer.concat([sig.subarray(0, -1), Buffer.from([(sig.at(-1) ?? 0) ^ 1])]),
        },
      });
      const first = await post(start, start.page, "factor", factorForm(c, start.csrf, forged));
      refusedWith(first, 401);
      const good = key("kim").soft.get(c.options, { origin });
      const again = await post(start, start.page, "factor", factorForm(c, start.csrf, good));
      refusedWith(again, 400);
      assert.match(again.html, /The security key was not accepted/);
      const scenario = "sso webauthn: reused ceremony";
      assert.ok(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid, scenario))
          .length > 0,
      );
      assert.ok(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData, scenario))
          .length > 0,
      );
    });

    test("skipped or foreign ceremonies are bypasses (9051): another sign-in's, the API's, the first page's, none", async () => {
      const scenario = "sso webauthn: foreign ceremonies";
      const bypassesBefore = (
        await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass, scenario)
      ).length;
      const mine = await atFactor("kim");
      const theirs = await atFactor("kim");
      // A ceremony of another sign-in of the same user, with its own binding.
      const other = await ceremony(theirs.browser, theirs.page, theirs.csrf);
      const signed = key("kim").soft.get(other.options, { origin });
      const refused = await post(mine, mine.page, "factor", factorForm(other, mine.csrf, signed));
      refusedWith(refused, 401);
      // A ceremony started through the API for the same user: no binding this sign-in made.
      const api = await s.api("POST", "/v1/webauthn/authentication/options", {
        apiKey,
        body: { username: "kim" },
        scenario,
      });
      const viaApi = { ceremonyId: String(api.body.ceremonyId), binding: other.binding };
      const apiSigned = key("kim").soft.get(api.body.options as Record<string, unknown>, { origin });
      const mine2 = await atFactor("kim");
      const refused2 = await post(mine2, mine2.page, "factor", factorForm(viaApi, mine2.csrf, apiSigned));
      refusedWith(refused2, 401);
      // The factor posted with no ceremony at all (what a browser without JavaScript sends).
      const mine3 = await atFactor("kim");
      const empty = await post(mine3, mine3.page, "factor", {
        csrf: mine3.csrf,
        factor: "webauthn",
        ceremony: "",
        binding: "",
        credential: "",
      });
      refusedWith(empty, 401);
      // The passkey post while the sign-in is at the factor step: the factor is not skipped.
      const mine4 = await atFactor("kim");
      const c4 = await ceremony(mine4.browser, mine4.page, mine4.csrf);
      const passkey = await post(mine4, mine4.page, "passkey", {
        csrf: mine4.csrf,
        ceremony: c4.ceremonyId,
        binding: c4.binding,
        credential: JSON.stringify(key("kim").soft.get(c4.options, { origin })),
      });
      refusedWith(passkey, 401);
      const bypasses = await auditedWith(
        s,
        apiKey,
        ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
        scenario,
      );
      assert.ok(bypasses.length >= bypassesBefore + 4, `${bypasses.length} bypasses`);
    });

    test("a factor ceremony before the password, or one for the first page posted at the factor, is refused", async () => {
      const start = await ssoSignInUntil(signInOptions("kim"), "password");
      const csrf = formsOf(start.page)[0]?.hidden.csrf ?? "";
      // At the first page the options are a discoverable sign-in: no user, no allowCredentials.
      const first = await ceremony(start.browser, start.page, csrf);
      assert.deepEqual(first.options.allowCredentials, []);
      const factorFirst = await post(
        start,
        start.page,
        "factor",
        factorForm(first, csrf, key("kim").soft.get(first.options, { origin })),
      );
      refusedWith(factorFirst, 401);
    });

    test("extremes: an oversized answer is 413; a malformed one is refused (9085), never a 5xx", async () => {
      const start = await atFactor("max");
      const c = await ceremony(start.browser, start.page, start.csrf);
      const huge = await post(start, start.page, "factor", {
        ...factorForm(c, start.csrf, {}),
        credential: "x".repeat(40_000),
      });
      // Over the body's limit for the field: the page's 413, nothing computed.
      refusedWith(huge, 413);
      for (const credential of [
        "{",
        "null",
        "[]",
        JSON.stringify({ id: "%%%", response: {} }),
        "9".repeat(400),
      ]) {
        const again = await ceremony(start.browser, start.page, start.csrf);
        const r = await post(start, start.page, "factor", {
          ...factorForm(again, start.csrf, {}),
          credential,
        });
        assert.ok(!("callback" in r));
        assert.ok(r.status >= 400 && r.status < 500, `${credential}: ${r.status}`);
      }
      const malformed = ApiReturnCode.PartnerUserFIDOU2FInvalidSignData;
      assert.ok((await auditedWith(s, apiKey, malformed, "sso webauthn: malformed answers")).length > 0);
    });

    test("burst: one assertion posted 8 times at once signs in once", async () => {
      const start = await atFactor("lee");
      const c = await ceremony(start.browser, start.page, start.csrf);
      const form = factorForm(c, start.csrf, key("lee").soft.get(c.options, { origin }));
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => post(start, start.page, "factor", form)),
      );
      assert.equal(answers.filter((a) => "callback" in a).length, 1);
    });

    test("the first page offers a passkey (autofill and button, its script allowed) once the tenant has keys", async () => {
      const start = await ssoSignInUntil(signInOptions("kim"), "password");
      assert.match(start.page.html, /autocomplete="username webauthn"/);
      assert.match(start.page.html, /action="[^"]+\/passkey" data-conditional/);
      assert.match(start.page.html, /<script type="module" src="\/oidc\/assets\/webauthn.js"><\/script>/);
      // Exactly this script may run (a source with a path), and fetches go to our origin only.
      const page = await start.browser.request(new URL(interactionOf(start.page), s.url));
      const csp = page.headers.get("content-security-policy") ?? "";
      const scriptUrl = new URL("/oidc/assets/webauthn.js", s.server.ctx.publicUrl).href;
      assert.match(csp, new RegExp(`; script-src ${scriptUrl.replace(/[.]/g, "\\.")}; connect-src 'self'$`));
      assert.match(csp, /default-src 'none'/);
      const script = await fetch(new URL("/oidc/assets/webauthn.js", s.url));
      assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.match(await script.text(), /isConditionalMediationAvailable/);
      // A tenant without any key keeps the strict page: no script, no passkey.
      const bare = await s.tenant();
      const bareApp = await createTestApp(s, bare.tenant.id);
      await s.api("POST", "/v1/users", {
        apiKey: bare.apiKey,
        body: { username: "kim", password },
        scenario: "sso webauthn: setup",
      });
      const plain = await ssoSignInUntil(
        { ...signInOptions("kim"), tenantId: bare.tenant.id, clientId: bareApp.clientId },
        "password",
      );
      assert.doesNotMatch(plain.page.html, /<script|webauthn/);
    });

    async function passkey(username: string, uv: boolean) {
      const start = await ssoSignInUntil(signInOptions(username), "password");
      const csrf = formsOf(start.page)[0]?.hidden.csrf ?? "";
      const c = await ceremony(start.browser, start.page, csrf);
      assert.equal(c.options.userVerification, "preferred");
      const k = key(username);
      const assertion = k.soft.get(c.options, { origin, uv, credential: k.credential });
      const at = await post(start, start.page, "passkey", {
        csrf,
        ceremony: c.ceremonyId,
        binding: c.binding,
        credential: JSON.stringify(assertion),
      });
      return { start, at };
    }

    test("a passkey with UV signs in without username or password: both factors (amr hwk user otp)", async () => {
      const { start, at } = await passkey("kim", true);
      assert.deepEqual(await amrOf(start, at), ["hwk", "user", "otp"]);
    });

    test("a passkey without UV is the first factor only: the factor step follows, without the key", async () => {
      // Max gets a second factor besides his key: a phone app for push approvals.
      await insertSealedAuthenticator(
        s.server.ctx,
        {
          tenant_id: tenantId,
          serial: "MAXPHONE",
          type: "push",
          user_id: userIds.get("max") ?? "",
          activated: 1,
          algorithm: "ed25519",
          digits: 6,
          period: null,
          position: 0,
        },
        Buffer.from(JSON.stringify({ publicKey: "AA" }), "utf8"),
        s.clock.now(),
      );
      const { start, at } = await passkey("max", false);
      assert.ok(!("callback" in at));
      const forms = formsOf(at);
      assert.deepEqual(
        forms.map((f) => f.hidden.factor),
        ["push"],
        "the key is not offered twice",
      );
      const scenario = "sso webauthn: passkey without UV";
      const before = (
        await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass, scenario)
      ).length;
      const c = await ceremony(start.browser, at, forms[0]?.hidden.csrf ?? "").catch(() => undefined);
      assert.equal(c, undefined, "no key ceremony at this factor step");
      const k = key("max");
      const crafted = await post(start, at, "factor", {
        csrf: forms[0]?.hidden.csrf ?? "",
        factor: "webauthn",
        ceremony: "",
        binding: "",
        credential: JSON.stringify(k.soft.get({ challenge: "AAAA", rpId: k.credential.rpId }, { origin })),
      });
      refusedWith(crafted, 401);
      assert.ok(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass, scenario)).length >
          before,
      );
      // Lee has nothing else, and the tenant requires a second factor (the default) without
      // self-enrolment: the key without UV is not both factors, so the sign-in is refused.
      const alone = await passkey("lee", false);
      refusedWith(alone.at, 403);
      assert.ok((await auditedWith(s, apiKey, ApiReturnCode.SystemTwoFactorNotSet, scenario)).length > 0);
    });

    test("a passkey of a disabled user, or over the sign-in limits, is refused on the first page", async () => {
      await s.api("PATCH", "/v1/users/noa", {
        apiKey,
        body: { disabled: true },
        scenario: "sso webauthn: setup",
      });
      const noa = await storedKey(s, {
        tenantId,
        userId: userIds.get("noa") ?? "",
        serial: "KEY-noa",
        rpId: new URL(s.server.ctx.publicUrl).hostname,
      });
      keys.set("noa", noa);
      const { at } = await passkey("noa", true);
      assert.ok(!("callback" in at));
      assert.equal(at.status, 401);
      assert.match(at.html, /Signing in with the passkey did not work/);
      assert.ok(
        (
          await auditedWith(
            s,
            apiKey,
            ApiReturnCode.PartnerUserLoginDisabled,
            "sso webauthn: disabled passkey",
          )
        ).length > 0,
      );
      // The password step's per-source limit counts passkey posts too: over it nothing is checked.
      const start = await ssoSignInUntil(signInOptions("kim"), "password");
      const csrf = formsOf(start.page)[0]?.hidden.csrf ?? "";
      const limit = s.server.ctx.config.rateLimits.ssoSignInPerSource;
      let last: Page | { callback: URL } = { callback: new URL(s.url) };
      for (let n = 0; n <= limit; n += 1)
        last = await post(start, start.page, "passkey", { csrf, ceremony: "", binding: "", credential: "" });
      refusedWith(last, 401);
      assert.match(last.html, /Signing in with the passkey did not work/);
      assert.ok(
        (await auditedWith(s, apiKey, TesseraApiCode.RateLimited, "sso webauthn: passkey limits")).length > 0,
      );
      // The next tests start a fresh minute (the limit's window).
      s.clock.advance(61_000);
    });

    test("enrolment: a key registered instead of an app proves the factor; a broken one is refused (9080) and the step stays", async () => {
      const scenario = "sso webauthn: key at enrolment";
      const enrolling = await s.tenant(undefined, { ssoSecondFactor: "required", ssoSelfEnrolment: true });
      const enrolApp = await createTestApp(s, enrolling.tenant.id);
      await s.api("POST", "/v1/users", {
        apiKey: enrolling.apiKey,
        body: { username: "ola", password },
        scenario,
      });
      const options = { ...signInOptions("ola"), tenantId: enrolling.tenant.id, clientId: enrolApp.clientId };
      const start = await ssoSignInUntil(options, "enrol");
      const form = formsOf(start.page).find((f) => f.hidden.factor === "webauthn");
      assert.ok(form, "the enrolment page offers a key");
      const csrf = form.hidden.csrf ?? "";
      const enrolPost = (c: { ceremonyId: string; binding: string }, response: unknown) =>
        start.browser.follow(new URL(`${interactionOf(start.page)}/enrol`, s.url), enrolApp.redirectUri, {
          method: "POST",
          form: {
            csrf,
            factor: "webauthn",
            ceremony: c.ceremonyId,
            binding: c.binding,
            credential: JSON.stringify(response),
          },
        });
      const soft = new SoftAuthenticator();
      const broken = await ceremony(start.browser, start.page, csrf);
      assert.equal(broken.kind, "create");
      const refused = await enrolPost(
        broken,
        soft.create(broken.options, { origin, tamper: { authData: (d) => d.subarray(0, 20) } }),
      );
      refusedWith(refused, 400);
      assert.match(refused.html, /The security key was not accepted/);
      const regData = ApiReturnCode.PartnerUserFIDOU2FInvalidRegData;
      assert.ok((await auditedWith(s, enrolling.apiKey, regData, scenario)).length > 0);
      // A fresh ceremony and a sound key: registered, and the sign-in goes on.
      const good = await ceremony(start.browser, start.page, csrf);
      const at = await enrolPost(good, soft.create(good.options, { origin }));
      assert.ok("callback" in at, "signed in");
      const tokens = await oidc.authorizationCodeGrant(start.config, at.callback, {
        pkceCodeVerifier: start.codeVerifier,
        expectedState: start.state,
      });
      assert.deepEqual(tokens.claims()?.amr, ["pwd", "otp", "hwk"]);
      const keys = await s.api("GET", "/v1/users/ola/webauthn-keys", { apiKey: enrolling.apiKey, scenario });
      assert.equal((keys.body.keys as unknown[]).length, 1);
    });

    test("a passkey session without UV, where no second factor is required, is reused by single sign-on", async () => {
      const scenario = "sso webauthn: passkey session reuse";
      const optional = await s.tenant(undefined, { ssoSecondFactor: "optional" });
      const optionalApp = await createTestApp(s, optional.tenant.id);
      const created = await s.api("POST", "/v1/users", {
        apiKey: optional.apiKey,
        body: { username: "pia", password },
        scenario,
      });
      const rpId = new URL(s.server.ctx.publicUrl).hostname;
      const userId = String((created.body.user as { id: string }).id);
      const pia = await storedKey(s, { tenantId: optional.tenant.id, userId, serial: "KEY-pia", rpId });
      const options = {
        ...signInOptions("pia"),
        tenantId: optional.tenant.id,
        clientId: optionalApp.clientId,
        redirectUri: optionalApp.redirectUri,
      };
      const start = await ssoSignInUntil(options, "password");
      const csrf = formsOf(start.page)[0]?.hidden.csrf ?? "";
      const c = await ceremony(start.browser, start.page, csrf);
      const assertion = pia.soft.get(c.options, { origin, uv: false, credential: pia.credential });
      const at = await start.browser.follow(
        new URL(`${interactionOf(start.page)}/passkey`, s.url),
        optionalApp.redirectUri,
        {
          method: "POST",
          form: { csrf, ceremony: c.ceremonyId, binding: c.binding, credential: JSON.stringify(assertion) },
        },
      );
      assert.deepEqual(await amrOf(start, at), ["hwk"]);
      // The same browser again: the pages would let pia in with the key alone, so the session
      // is reused (the key is no second factor to itself, so it does not call her back).
      const again = await ssoSignInUntil({ ...options, browser: start.browser }, "never").catch(
        (error: Error) => error,
      );
      assert.match(String(again), /never showed step never/, "no page was shown: signed in by the session");
    });

    test("another tenant's passkey is refused on this tenant's first page (9093); an expired ceremony is 9081", async () => {
      const scenario = "sso webauthn: foreign passkey, expired ceremony";
      const elsewhere = await s.tenant();
      const created = await s.api("POST", "/v1/users", {
        apiKey: elsewhere.apiKey,
        body: { username: "kim", password },
        scenario,
      });
      const rpId = new URL(s.server.ctx.publicUrl).hostname;
      const foreign = await storedKey(s, {
        tenantId: elsewhere.tenant.id,
        userId: String((created.body.user as { id: string }).id),
        serial: "KEY-kim-elsewhere",
        rpId,
      });
      const start = await ssoSignInUntil(signInOptions("kim"), "password");
      const csrf = formsOf(start.page)[0]?.hidden.csrf ?? "";
      const c = await ceremony(start.browser, start.page, csrf);
      const assertion = foreign.soft.get(c.options, { origin, credential: foreign.credential });
      const refused = await post(start, start.page, "passkey", {
        csrf,
        ceremony: c.ceremonyId,
        binding: c.binding,
        credential: JSON.stringify(assertion),
      });
      refusedWith(refused, 401);
      const unknown = await auditedWith(s, apiKey, ApiReturnCode.BogusUniqueDeviceId, scenario);
      assert.ok(
        unknown.some(
          (e) => e.operation === "POST /oidc/:tenant/interaction/:uid/:step" && e.subject === null,
        ),
      );
      // A ceremony older than its five minutes: refused, whatever was signed.
      const late = await ceremony(start.browser, start.page, csrf);
      s.clock.advance(5 * 60_000 + 1000);
      const own = key("kim").soft.get(late.options, { origin, credential: key("kim").credential });
      const expired = await post(start, start.page, "passkey", {
        csrf,
        ceremony: late.ceremonyId,
        binding: late.binding,
        credential: JSON.stringify(own),
      });
      refusedWith(expired, 401);
      assert.ok(
        (await auditedWith(s, apiKey, ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData, scenario))
          .length > 0,
      );
    });
  });
}
