import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { openActivation } from "../src/sso/activation/activation-store.ts";
import { ssoPageHeaders } from "../src/sso/pages/sso-headers.ts";
import { formOf, PageClient, type PageResponse } from "./helpers/page-client.ts";
import { Browser, createTestApp, formsOf, startSsoSignIn } from "./helpers/sso-sign-in.ts";
import { insertPublicTestApp } from "./helpers/sso-test-app.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * oidc-provider's own pages (device flow, sign-out, errors) over HTTP: rendered in Tessera's
 * layout, in the language the request asks for, with the pages' strict headers and no script.
 */
const h1Of = (page: string) => /<h1>([^<]*)<\/h1>/.exec(page)?.[1];
const langOf = (page: string) => /<html lang="([^"]*)">/.exec(page)?.[1];

function assertStrictPage(response: PageResponse, formTargets: string[] = []) {
  assert.equal(
    response.headers.get("content-security-policy"),
    ssoPageHeaders(formTargets)["content-security-policy"],
  );
  assert.equal(response.headers.get("x-frame-options"), "DENY");
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.doesNotMatch(response.text, /<script|\son[a-z]+=/i, "no script, no inline handlers");
  assert.equal(response.text.match(/<h1>/g)?.length, 1, "one h1");
  assert.match(response.text, /<main>/);
}

for (const backend of backends) {
  suite(`SSO provider pages: languages and layout (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(async () => {
      await s.close();
    });

    async function deviceRequest(language?: string, uiLocales?: string) {
      const { tenant } = await s.tenant();
      const clientId = await insertPublicTestApp(s, tenant.id, { name: "Kiosk <b>7</b>" });
      const issuer = `/oidc/${tenant.id}`;
      const started = await fetch(new URL(`${issuer}/device/auth`, s.url), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          client_id: clientId,
          scope: "openid",
          ...(uiLocales === undefined ? {} : { ui_locales: uiLocales }),
        }),
      });
      assert.equal(started.status, 200);
      const grant = (await started.json()) as {
        user_code: string;
        device_code: string;
        verification_uri: string;
      };
      const browser = new PageClient(s.url, language === undefined ? {} : { "accept-language": language });
      return { issuer, clientId, grant, browser, path: new URL(grant.verification_uri).pathname };
    }

    test("the sign-in page: ui_locales=de is German, Accept-Language es is Spanish, anything else English", async () => {
      const { tenant } = await s.tenant();
      const app = await createTestApp(s, tenant.id, { name: "Field notes" });
      const cases = [
        [{ uiLocales: "de" }, "es", "de", "Anmelden", "Benutzername"],
        [{ uiLocales: "fr de-AT" }, undefined, "de", "Anmelden", "Benutzername"],
        [{}, "es-ES,es;q=0.9,en;q=0.8", "es", "Iniciar sesión", "Nombre de usuario"],
        [{ uiLocales: "fr" }, "ja, it;q=0.5", "en", "Sign in", "Username"],
        [{}, undefined, "en", "Sign in", "Username"],
      ] as const;
      for (const [options, acceptLanguage, lang, title, label] of cases) {
        const browser = new Browser(
          acceptLanguage === undefined ? {} : { "accept-language": acceptLanguage },
        );
        const { landing } = await startSsoSignIn({
          baseUrl: s.url,
          tenantId: tenant.id,
          ...app,
          ...options,
          username: "nobody",
          password: "irrelevant",
          browser,
        });
        assert.ok(!("callback" in landing));
        const page = {
          status: landing.status,
          headers: new Headers(),
          text: landing.html,
          location: undefined,
        };
        assert.equal(langOf(page.text), lang, JSON.stringify(options));
        assert.equal(h1Of(page.text), title);
        assert.match(page.text, new RegExp(`<label for="username">${label}</label>`));
        assert.doesNotMatch(page.text, /<script|\son[a-z]+=/i);
      }
    });

    test("the sign-in page's headers: strict CSP whose form-action names only the app's redirect origin", async () => {
      const { tenant } = await s.tenant();
      const app = await createTestApp(s, tenant.id);
      const browser = new Browser();
      const { landing } = await startSsoSignIn({
        baseUrl: s.url,
        tenantId: tenant.id,
        ...app,
        username: "x",
        password: "y",
        browser,
      });
      assert.ok(!("callback" in landing));
      const response = await browser.request(landing.url);
      assertStrictPage(
        {
          status: response.status,
          headers: response.headers,
          text: await response.text(),
          location: undefined,
        },
        [app.redirectUri],
      );
      assert.equal(response.headers.get("referrer-policy"), "same-origin");
    });

    test("a failed sign-in's message is announced and tied to every field of the form, in the page's language", async () => {
      const { tenant } = await s.tenant();
      const app = await createTestApp(s, tenant.id);
      const browser = new Browser({ "accept-language": "de" });
      const options = {
        baseUrl: s.url,
        tenantId: tenant.id,
        ...app,
        username: "nobody",
        password: "wrong",
        browser,
      };
      const { landing } = await startSsoSignIn(options);
      assert.ok(!("callback" in landing));
      const [form] = formsOf(landing);
      assert.ok(form);
      const failed = await browser.follow(form.action, app.redirectUri, {
        method: "POST",
        form: { ...form.hidden, username: "nobody", password: "wrong" },
      });
      assert.ok(!("callback" in failed));
      assert.equal(failed.status, 401);
      assert.match(failed.html, /<p role="alert" id="problem">Benutzername oder Passwort ist nicht korrekt/);
      for (const field of ["username", "password"]) {
        assert.match(
          failed.html,
          new RegExp(`<input aria-describedby="problem" aria-invalid="true" id="${field}"`),
        );
      }
      assert.doesNotMatch(failed.html, /<input aria-describedby="problem"[^>]*type="hidden"/);
    });

    test("the device user-code page speaks the browser's language: de, es, else English", async () => {
      const cases = [
        ["de-DE,de;q=0.9,en;q=0.5", "de", "Gerät verbinden", "Code von Ihrem Gerät"],
        ["es", "es", "Conectar un dispositivo", "Código de su dispositivo"],
        ["fr-FR, ja;q=0.8", "en", "Connect a device", "Code from your device"],
      ] as const;
      for (const [acceptLanguage, lang, title, label] of cases) {
        const { browser, path } = await deviceRequest(acceptLanguage);
        const page = await browser.get(path);
        assert.equal(page.status, 200);
        assertStrictPage(page);
        assert.equal(langOf(page.text), lang, acceptLanguage);
        assert.equal(h1Of(page.text), title);
        assert.match(page.text, new RegExp(`<label for="user_code">${label}</label>`));
        assert.match(
          page.text,
          /<input id="user_code" name="user_code" type="text" autocomplete="one-time-code"/,
        );
        assert.match(page.text, /<input type="hidden" name="xsrf" value="[^"]+">/);
      }
    });

    test("the device's own ui_locales decides the confirmation page's language once its code is known", async () => {
      const { browser, path, grant } = await deviceRequest(undefined, "es");
      const input = await browser.get(path);
      assert.equal(langOf(input.text), "en", "before the code is entered, nothing names the device");
      const { action, fields } = formOf(input.text);
      const confirm = await browser.post(action, { ...fields, user_code: grant.user_code });
      assert.equal(langOf(confirm.text), "es");
      assert.equal(h1Of(confirm.text), "Confirmar el dispositivo");
    });

    test("a wrong user code shows the form again with the error tied to the input", async () => {
      const { browser, path } = await deviceRequest("es");
      const { action, fields } = formOf((await browser.get(path)).text);
      const wrong = await browser.post(action, { ...fields, user_code: "BCDF-GHJK" });
      assert.equal(langOf(wrong.text), "es");
      assertStrictPage(wrong);
      assert.match(wrong.text, /aria-describedby="user_code-error" aria-invalid="true"/);
      assert.match(
        wrong.text,
        /<p class="error" id="user_code-error">Este código es incorrecto, ha caducado o ya se ha usado\./,
      );
    });

    test("the right code asks for confirmation naming the app; Cancel refuses the device's request", async () => {
      const { browser, path, issuer, clientId, grant } = await deviceRequest("de");
      const { action, fields } = formOf((await browser.get(path)).text);
      const confirm = await browser.post(action, { ...fields, user_code: grant.user_code });
      assert.equal(confirm.status, 200);
      assertStrictPage(confirm);
      assert.equal(langOf(confirm.text), "de");
      assert.equal(h1Of(confirm.text), "Gerät bestätigen");
      assert.match(
        confirm.text,
        /Kiosk &lt;b&gt;7&lt;\/b&gt; möchte Sie auf einem Gerät anmelden/,
        "app name escaped",
      );
      assert.match(confirm.text, new RegExp(`<p class="code" id="user-code">${grant.user_code}</p>`));
      assert.match(
        confirm.text,
        /<button type="submit" name="confirm" value="yes">Auf dem Gerät anmelden<\/button>/,
      );
      const form = formOf(confirm.text);
      assert.equal(form.fields.confirm, undefined, "only the Allow button confirms");
      const aborted = await browser.post(form.action, { ...form.fields, abort: "yes" });
      assert.equal(langOf(aborted.text), "de");
      assert.match(aborted.text, /Die Anmeldung auf dem Gerät wurde abgebrochen\./);
      const token = await fetch(new URL(`${issuer}/token`, s.url), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:device_code",
          device_code: grant.device_code,
          client_id: clientId,
        }),
      });
      assert.equal(token.status, 400);
      assert.equal(((await token.json()) as { error: string }).error, "access_denied");
    });

    test("the provider's error page: the generic message in the ui_locales language and the request id", async () => {
      const { tenant } = await s.tenant();
      const browser = new PageClient(s.url, { "accept-language": "es" });
      const page = await browser.get(
        `/oidc/${tenant.id}/auth?client_id=no-such-app&response_type=code&scope=openid&ui_locales=de`,
      );
      assert.equal(page.status, 400);
      assertStrictPage(page);
      assert.equal(langOf(page.text), "de");
      assert.equal(h1Of(page.text), "Das hat nicht geklappt");
      assert.match(page.text, /Die Anfrage konnte nicht verarbeitet werden\./);
      const requestId = page.headers.get("x-request-id") ?? "";
      assert.notEqual(requestId, "");
      assert.match(page.text, new RegExp(`<p id="request-id">Referenz: ${requestId}</p>`));
      assert.doesNotMatch(page.text, /invalid_client|no-such-app/, "the provider's detail is not shown");
    });

    test("sign-out without a session ends on the signed-out page in the browser's language", async () => {
      const { tenant } = await s.tenant();
      const browser = new PageClient(s.url, { "accept-language": "es-MX,es;q=0.9" });
      const start = await browser.get(`/oidc/${tenant.id}/session/end`);
      // The provider's own auto-submitting page: only its one inline script may run.
      const csp = start.headers.get("content-security-policy") ?? "";
      assert.match(csp, /script-src 'none' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
      assert.match(csp, /default-src 'none'/);
      const { action, fields } = formOf(start.text);
      const confirmed = await browser.post(action, { ...fields, logout: "yes" });
      assert.equal(confirmed.status, 303);
      const done = await browser.get(confirmed.location ?? "");
      assert.equal(done.status, 200);
      assertStrictPage(done);
      assert.equal(langOf(done.text), "es");
      assert.equal(h1Of(done.text), "Sesión cerrada");
    });

    test("the activation page and the tokens page: the SSO layout, in the link's ui_locales or the browser's language", async () => {
      const { tenant, apiKey } = await s.tenant();
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "dee", email: "dee@mail.test" },
        scenario: "sso page languages: setup",
      });
      assert.equal(created.status, 201);
      const user = await s.server.ctx.database.db
        .selectFrom("users")
        .select("id")
        .where("tenant_id", "=", tenant.id)
        .where("username", "=", "dee")
        .executeTakeFirstOrThrow();
      const now = s.clock.now();
      const { id } = await openActivation(s.server.ctx.database.db, {
        tenantId: tenant.id,
        userId: user.id,
        apps: [],
        now,
        expiresAt: now + 3600_000,
      });
      const browser = new PageClient(s.url, { "accept-language": "es" });
      const activation = await browser.get(`/oidc/${tenant.id}/activate?id=${id}&ui_locales=de`);
      assert.equal(activation.status, 200);
      assertStrictPage(activation);
      assert.equal(langOf(activation.text), "de");
      const wrongId = await browser.get(`/oidc/${tenant.id}/activate?id=${"x".repeat(43)}`);
      assert.equal(langOf(wrongId.text), "es", "its error page too");
      assert.match(wrongId.text, /id="request-id"/);
      // Signed out, the tokens page sends the visitor to sign in, with a link for a browser without redirects.
      const tokens = await browser.get(`/oidc/${tenant.id}/account/tokens`);
      assert.equal(tokens.status, 303);
      assertStrictPage(tokens);
      assert.equal(langOf(tokens.text), "es");
    });
  });
}
