import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import {
  createTestApp,
  formsOf,
  type SsoSignInOptions,
  ssoSignInUntil,
  type TestApp,
} from "./helpers/sso-sign-in.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";

/** What each language says on the second-factor and consent steps (user "kim", app "Ledger"). */
const expected = {
  en: {
    factor: "Signing in to Ledger as kim.",
    notYou: "Not kim? Start over",
    consent: "You are signed in as kim.",
  },
  de: {
    factor: "Anmeldung bei Ledger als kim.",
    notYou: "Nicht kim? Neu beginnen",
    consent: "Sie sind als kim angemeldet.",
  },
  es: {
    factor: "Iniciando sesión en Ledger como kim.",
    notYou: "¿No es kim? Empezar de nuevo",
    consent: "Ha iniciado sesión como kim.",
  },
} as const;

/**
 * The sign-in steps say who and what they are about: the second-factor page names the app and
 * the user and offers "not you? start over" (a fresh sign-in at the password step), and the
 * consent page says who is signed in; in English, German and Spanish.
 */
for (const backend of backends) {
  suite(`SSO step pages name the user and the app (${backend})`, () => {
    let s: TestServer;
    let tenantId = "";
    let ledger: TestApp;
    before(async () => {
      s = await startTestServer(backend);
      const { tenant, apiKey } = await s.tenant();
      tenantId = tenant.id;
      ledger = await createTestApp(s, tenantId, { name: "Ledger", firstParty: false });
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "kim", password: "correct horse battery" },
        scenario: "sso step pages: setup",
      });
      await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username: "kim" },
        scenario: "sso step pages: setup",
      });
    });
    after(() => s.close());

    const options = (uiLocales: string): SsoSignInOptions => ({
      baseUrl: s.url,
      tenantId,
      ...ledger,
      username: "kim",
      password: "correct horse battery",
      otp: () => oathtoolTotp(secretHex, s.clock.now()),
      uiLocales,
    });

    for (const [locale, text] of Object.entries(expected)) {
      test(`${locale}: the factor page names app and user, "start over" begins a new sign-in; consent says who`, async () => {
        const at = await ssoSignInUntil(options(locale), "factor");
        assert.ok(at.page.html.includes(text.factor), at.page.html);
        const link = /<a href="([^"]+)">([^<]+)<\/a>/.exec(
          at.page.html.slice(at.page.html.indexOf(text.factor)),
        );
        assert.equal(link?.[2], text.notYou);
        const restarted = await at.browser.follow(
          new URL((link?.[1] ?? "").replaceAll("&amp;", "&"), s.url),
          ledger.redirectUri,
        );
        assert.ok(!("callback" in restarted));
        assert.deepEqual(
          formsOf(restarted).map((f) => f.step),
          ["password"],
          "a fresh sign-in at the password step",
        );
        assert.notEqual(restarted.url.pathname, at.page.url.pathname, "a new interaction");
        s.clock.advance(30_000);
        const consent = await ssoSignInUntil(options(locale), "consent");
        assert.ok(consent.page.html.includes(text.consent), consent.page.html);
      });
    }
  });
}
