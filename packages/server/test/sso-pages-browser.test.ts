import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { openActivation } from "../src/sso/activation/activation-store.ts";
import { seriousViolations } from "./helpers/axe.ts";
import { launchBrowser } from "./helpers/browser.ts";
import { type LoopbackApp, startLoopbackApp } from "./helpers/loopback-app.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { insertPublicTestApp } from "./helpers/sso-test-app.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const password = "correct horse battery";

/**
 * Every SSO page in Chromium: axe-core finds no serious or critical violation, the keyboard
 * reaches the fields and then the buttons, and the pages work without JavaScript. The pages hold
 * no database logic of their own (the HTTP tests run them on both backends), so SQLite is enough.
 */
suite("SSO pages in Chromium", () => {
  let s: TestServer;
  let browser: Browser;
  let loopback: LoopbackApp;
  let tenantId: string;
  let clientId: string;
  /** An open account activation (the id its invitation e-mail would carry). */
  let activationId: string;
  /** Apps to sign in to: first party, third party (asks for consent), and in tenants set up for enrolment and expiry. */
  const apps: Record<"firstParty" | "thirdParty" | "enrolment" | "expired", oidc.Configuration> = {} as never;

  async function user(apiKey: string, username: string, withToken: boolean) {
    await s.api("POST", "/v1/users", {
      apiKey,
      body: { username, password },
      scenario: "sso pages browser: setup",
    });
    if (!withToken) return;
    await s.api("POST", "/v1/authenticators", {
      apiKey,
      body: { type: "totp", secret: encodeBase32(Buffer.from(secretHex, "hex")), username },
      scenario: "sso pages browser: setup",
    });
  }

  async function app(tenant: string, name: string, firstParty = true): Promise<oidc.Configuration> {
    const id = await insertPublicTestApp(s, tenant, {
      name,
      redirectUri: loopback.redirectUri,
      postLogoutRedirectUri: loopback.signedOutUri,
      firstParty,
    });
    return oidc.discovery(new URL(`/oidc/${tenant}`, s.url), id, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
  }

  before(async () => {
    s = await startTestServer("sqlite");
    browser = await launchBrowser();
    loopback = await startLoopbackApp();
    // A tenant whose passwords expire after a day, its user's password two days old.
    const expiring = await s.tenant(undefined, { passwordMaxAgeDays: 1 });
    await user(expiring.apiKey, "cyd", true);
    s.clock.advance(2 * 24 * 3600 * 1000);
    const main = await s.tenant();
    tenantId = main.tenant.id;
    clientId = await insertPublicTestApp(s, tenantId, { name: "Kiosk" });
    await user(main.apiKey, "ada", true);
    await s.api("POST", "/v1/users", {
      apiKey: main.apiKey,
      body: { username: "dee", email: "dee@mail.test" },
      scenario: "sso pages browser: setup",
    });
    const dee = await s.server.ctx.database.db
      .selectFrom("users")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("username", "=", "dee")
      .executeTakeFirstOrThrow();
    const now = s.clock.now();
    const opened = await openActivation(s.server.ctx.database.db, {
      tenantId,
      userId: dee.id,
      apps: [],
      now,
      expiresAt: now + 3600_000,
    });
    activationId = opened.id;
    // Self-enrolment: a user without a token sets one up on the sign-in page.
    const enrolling = await s.tenant(undefined, { ssoSelfEnrolment: true });
    await user(enrolling.apiKey, "bea", false);
    apps.firstParty = await app(tenantId, "Field notes");
    apps.thirdParty = await app(tenantId, "Outside help", false);
    apps.enrolment = await app(enrolling.tenant.id, "Field notes");
    apps.expired = await app(expiring.tenant.id, "Field notes");
  });
  after(async () => {
    await browser.close();
    await loopback.close();
    await s.close();
  });
  const issuer = () => `${s.url}/oidc/${tenantId}`;

  /** The app's authorization request (code + PKCE S256, state), as openid-client builds it. */
  async function authorizationRequest(config: oidc.Configuration, extra: Record<string, string> = {}) {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: loopback.redirectUri,
      scope: "openid profile",
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      ...extra,
    });
    return { url, codeVerifier, state };
  }

  /** The next TOTP code (each time step is accepted once: the clock moves on first). */
  const nextTotp = () => {
    s.clock.advance(30_000);
    return oathtoolTotp(secretHex, s.clock.now());
  };

  async function signInPage(page: Page, config: oidc.Configuration, username: string, pass = password) {
    await page.goto((await authorizationRequest(config)).url.href);
    await passwordAndCode(page, username, pass);
  }

  /** On the sign-in page: the password, then (when it is asked for) the next TOTP code. */
  async function passwordAndCode(page: Page, username: string, pass = password) {
    await page.fill("#username", username);
    await page.fill("#password", pass);
    await submit(page);
  }

  async function secondFactor(page: Page) {
    await page.fill("input[name=otp]", nextTotp());
    await submit(page);
  }

  /** Ada signed in to the first-party app in this browser: the provider's session exists. */
  async function signedIn(page: Page) {
    await signInPage(page, apps.firstParty, "ada");
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(loopback.redirectUri)),
      secondFactor(page),
    ]);
  }

  const signOutUrl = () =>
    `${issuer()}/session/end?${new URLSearchParams({
      client_id: apps.firstParty.clientMetadata().client_id,
      post_logout_redirect_uri: loopback.signedOutUri,
    })}`;

  /** A device authorization request, as a TV would make it: its user code and where to enter it. */
  async function deviceRequest(): Promise<{ userCode: string; url: string }> {
    const response = await fetch(`${issuer()}/device/auth`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: clientId, scope: "openid" }),
    });
    const grant = (await response.json()) as { user_code: string; verification_uri: string };
    return { userCode: grant.user_code, url: grant.verification_uri };
  }

  async function submit(page: Page, selector = "button[type=submit]") {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  /**
   * How to reach each page in a fresh browser tab, one line per page: the accessibility test
   * runs over all of them.
   */
  const ssoPages: Record<string, readonly [open: (page: Page) => Promise<unknown>, shows: string]> = {
    "sign-in page": [
      async (page) => page.goto((await authorizationRequest(apps.firstParty)).url.href),
      "#username",
    ],
    "sign-in page, wrong password": [
      (page) => signInPage(page, apps.firstParty, "ada", "not the password"),
      "[role=alert] ~ form #password",
    ],
    "sign-in page in German": [
      async (page) => page.goto((await authorizationRequest(apps.firstParty, { ui_locales: "de" })).url.href),
      "html[lang=de] #username",
    ],
    "second-factor page": [(page) => signInPage(page, apps.firstParty, "ada"), "input[name=otp]"],
    "second-factor page, wrong code": [
      async (page) => {
        await signInPage(page, apps.firstParty, "ada");
        await page.fill("input[name=otp]", String((Number(nextTotp()) + 1) % 1_000_000).padStart(6, "0"));
        await submit(page);
      },
      "[role=alert] ~ form input[name=otp]",
    ],
    "enrolment page": [(page) => signInPage(page, apps.enrolment, "bea"), "form[action$='/enrol'] #otp"],
    "change-password page": [(page) => signInPage(page, apps.expired, "cyd"), "#confirm"],
    "consent page": [
      async (page) => {
        await signInPage(page, apps.thirdParty, "ada");
        await page.fill("input[name=otp]", nextTotp());
        await submit(page);
      },
      "input[name=decision][value=allow]",
    ],
    "forgotten-password page": [
      async (page) => {
        await page.goto((await authorizationRequest(apps.firstParty)).url.href);
        await Promise.all([page.waitForNavigation(), page.click("a[href$='/forgot']")]);
      },
      "form[action$='/forgot'] #username",
    ],
    "sign-out page": [
      async (page) => {
        await signedIn(page);
        await page.goto(signOutUrl());
      },
      "button[name=logout][value=yes]",
    ],
    "device sign-in success page": [
      async (page) => {
        const { url, userCode } = await deviceRequest();
        await page.goto(url);
        await page.fill("#user_code", userCode);
        await submit(page);
        await submit(page, "button[name=confirm]");
        await passwordAndCode(page, "ada");
        await secondFactor(page);
      },
      "h1:has-text('Device connected')",
    ],
    "sign-in refused page": [
      (page) => page.goto(`${issuer()}/interaction/no-such-interaction`),
      "h1:has-text('This did not work')",
    ],
    "device user-code input": [async (page) => page.goto((await deviceRequest()).url), "#user_code"],
    "device user-code input, wrong code": [
      async (page) => {
        await page.goto((await deviceRequest()).url);
        await page.fill("#user_code", "BCDF-GHJK");
        await submit(page);
      },
      "#user_code-error",
    ],
    "device confirmation": [
      async (page) => {
        const { url, userCode } = await deviceRequest();
        await page.goto(url);
        await page.fill("#user_code", userCode);
        await submit(page);
      },
      "#user-code",
    ],
    "error page": [
      (page) => page.goto(`${issuer()}/auth?client_id=nope&response_type=code&scope=openid`),
      "#request-id",
    ],
    "activation page": [
      (page) => page.goto(`${issuer()}/activate?id=${activationId}`),
      "html[lang=en] #confirm",
    ],
    "tokens page": [
      async (page) => {
        await page.goto(`${issuer()}/account/tokens`);
        await passwordAndCode(page, "ada");
        await secondFactor(page);
      },
      "h1:has-text('Personal access tokens')",
    ],
    "signed-out page": [
      async (page) => {
        // Without a session the provider posts the sign-out form itself (its form_post page).
        await page.goto(`${issuer()}/session/end`);
        await page.waitForURL(/\/session\/end\/success/);
      },
      "h1:has-text('Signed out')",
    ],
  };

  async function inContext<T>(
    options: Parameters<Browser["newContext"]>[0],
    use: (c: BrowserContext) => Promise<T>,
  ) {
    const context = await browser.newContext(options);
    try {
      return await use(context);
    } finally {
      await context.close();
    }
  }

  for (const [name, [open, shows]] of Object.entries(ssoPages)) {
    test(`axe-core: no serious or critical violation on the ${name}`, async () => {
      await inContext({ bypassCSP: true }, async (context) => {
        const page = await context.newPage();
        await open(page);
        assert.equal(await page.locator(shows).count(), 1, `the ${name} is shown (${shows})`);
        assert.deepEqual(await seriousViolations(page), []);
      });
    });
  }

  test("every SSO page runs under its CSP with nothing refused and no script of its own", async () => {
    for (const [name, [open, shows]] of Object.entries(ssoPages)) {
      // A fresh browser profile per page, as in the axe runs: no session carried over.
      await inContext({}, async (context) => {
        const page = await context.newPage();
        const refused: string[] = [];
        page.on("console", (message) => {
          if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
        });
        await open(page);
        assert.equal(await page.locator(shows).count(), 1, `the ${name} is shown (${shows})`);
        assert.deepEqual(refused, [], name);
        assert.equal(await page.locator("script, [onfocus], [onclick], [onload]").count(), 0, name);
      });
    }
  });

  test("keyboard only: Tab reaches the code field, then Continue, with a visible focus ring", async () => {
    await inContext({}, async (context) => {
      const page = await context.newPage();
      await page.goto((await deviceRequest()).url);
      // A click on the heading moves the keyboard's starting point to the top of the page.
      await page.click("h1");
      const order: string[] = [];
      for (let i = 0; i < 2; i += 1) {
        await page.keyboard.press("Tab");
        // Expressions as strings: the test is type-checked without the DOM library.
        order.push(
          String(
            await page.evaluate(
              "document.activeElement.tagName.toLowerCase() + (document.activeElement.id ? '#' + document.activeElement.id : '')",
            ),
          ),
        );
      }
      assert.deepEqual(order, ["input#user_code", "button"]);
      const outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle");
      assert.equal(outline, "solid", "the focused button shows a focus ring");
    });
  });

  test("without JavaScript: a device is confirmed and refused through the pages", async () => {
    await inContext({ javaScriptEnabled: false }, async (context) => {
      const page = await context.newPage();
      const { url, userCode } = await deviceRequest();
      await page.goto(url);
      await page.fill("#user_code", userCode);
      await submit(page);
      assert.equal(await page.textContent("h1"), "Confirm the device");
      assert.equal(await page.textContent("#user-code"), userCode);
      await submit(page, "button[name=abort]");
      assert.equal(await page.textContent("h1"), "Connect a device");
      assert.match((await page.textContent("[role=alert]")) ?? "", /cancelled/);
    });
  });
  test("a person signs in to a registered app through the pages: password, TOTP, back at the app's loopback redirect, code redeemed", async () => {
    await inContext({}, async (context) => {
      const page = await context.newPage();
      const request = await authorizationRequest(apps.firstParty);
      await page.goto(request.url.href);
      assert.equal(await page.textContent("h1"), "Sign in");
      // Typed as a person would: the username field has the focus, Tab moves on, Enter submits.
      // Chromium applies autofocus after the load event; a person starts typing once the cursor is
      // in the field, and so does the test (keys typed before it would be lost).
      await page.waitForFunction("document.activeElement?.id === 'username'");
      await page.keyboard.type("ada");
      await page.keyboard.press("Tab");
      await page.keyboard.type(password);
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      assert.equal(
        await page.locator("input[name=otp]").count(),
        1,
        `the second-factor page: ${await page.content()}`,
      );
      await page.fill("input[name=otp]", nextTotp());
      await Promise.all([page.waitForURL((url) => url.href.startsWith(loopback.redirectUri)), submit(page)]);
      assert.equal(await page.textContent("h1"), "Back in the app");
      const callback = new URL(page.url());
      assert.ok(callback.searchParams.get("code"), callback.href);
      const tokens = await oidc.authorizationCodeGrant(apps.firstParty, callback, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
      });
      const claims = tokens.claims();
      assert.ok(claims);
      assert.deepEqual(claims.amr, ["pwd", "otp"]);
      const info = await oidc.fetchUserInfo(apps.firstParty, tokens.access_token, claims.sub);
      assert.equal(info.preferred_username, "ada");
    });
  });

  test("signing out at the app's request ends at its post-logout redirect, and the session is gone", async () => {
    await inContext({}, async (context) => {
      const page = await context.newPage();
      await signedIn(page);
      await page.goto(signOutUrl());
      assert.equal(await page.textContent("h1"), "Sign out");
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(loopback.signedOutUri)),
        page.click("button[name=logout]"),
      ]);
      // Signed out: the next authorization request shows the password page again.
      await page.goto((await authorizationRequest(apps.firstParty)).url.href);
      assert.equal(await page.locator("#password").count(), 1);
    });
  });

  test("keyboard only on the sign-in page: Tab reaches username, password, then the button", async () => {
    await inContext({}, async (context) => {
      const page = await context.newPage();
      await page.goto((await authorizationRequest(apps.firstParty)).url.href);
      await page.click("h1");
      const order: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        await page.keyboard.press("Tab");
        order.push(
          String(
            await page.evaluate("document.activeElement.id || document.activeElement.tagName.toLowerCase()"),
          ),
        );
      }
      assert.deepEqual(order, ["username", "password", "button"]);
    });
  });
});
