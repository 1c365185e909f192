import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import type { Browser, CDPSession, Page } from "playwright-core";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { seriousViolations } from "./helpers/axe.ts";
import { launchBrowser } from "./helpers/browser.ts";
import { type LoopbackApp, startLoopbackApp } from "./helpers/loopback-app.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { insertPublicTestApp } from "./helpers/sso-test-app.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { storedKey } from "./helpers/webauthn-keys.ts";

const password = "correct horse battery";
const totpHex = "3132333435363738393031323334353637383930";

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

type VirtualAuthenticator =
  | {
      protocol: "ctap2";
      transport: "internal";
      hasResidentKey: true;
      hasUserVerification: true;
      isUserVerified: true;
    }
  | { protocol: "u2f"; transport: "usb" };

/**
 * Security keys and passkeys on the sign-in pages in Chromium, with its virtual authenticator
 * (the DevTools WebAuthn domain through playwright-core): a person registers a passkey (CTAP2,
 * internal, user verification) at enrolment and signs in with it, no username typed; a
 * U2F-protocol key is the second factor after the password. The pages run under their real CSP
 * and the tests fail on any script error or CSP report in the console. Chromium allows WebAuthn
 * on `localhost` (a secure context, a valid RP id) but not on an IP address, so this server's
 * public URL is http://localhost:<port>/ and the relying party id is `localhost`.
 */
suite("SSO pages: security keys and passkeys in Chromium", () => {
  let s: TestServer;
  let browser: Browser;
  let loopback: LoopbackApp;
  let config: oidc.Configuration;
  let base: string;
  let tenantId: string;
  let apiKey: string;

  before(async () => {
    const port = await freePort();
    base = `http://localhost:${port}/`;
    s = await startTestServer("sqlite", { flags: { port, publicUrl: base } });
    browser = await launchBrowser();
    loopback = await startLoopbackApp();
    // A second factor is required and people may set one up while signing in (the enrolment
    // step, where a key can be registered instead of an app).
    const created = await s.tenant(undefined, { ssoSecondFactor: "required", ssoSelfEnrolment: true });
    tenantId = created.tenant.id;
    apiKey = created.apiKey;
    for (const username of ["ann", "ulf", "uma"])
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password },
        scenario: "sso webauthn browser: setup",
      });
    const clientId = await insertPublicTestApp(s, tenantId, {
      name: "Field notes",
      redirectUri: loopback.redirectUri,
    });
    // The helper's app accepts TOTP only; this one accepts every factor.
    await s.server.ctx.database.db
      .updateTable("sso_apps")
      .set({ second_factors: "[]" })
      .where("client_id", "=", clientId)
      .execute();
    config = await oidc.discovery(new URL(`/oidc/${tenantId}`, base), clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
  });
  after(async () => {
    await browser.close();
    await loopback.close();
    await s.close();
  });

  async function authorizationRequest(prompt?: string, extra: Record<string, string> = {}) {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: loopback.redirectUri,
      scope: "openid profile",
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      ...(prompt === undefined ? {} : { prompt }),
      ...extra,
    });
    return { url, codeVerifier, state };
  }

  async function amrAfter(page: Page, request: Awaited<ReturnType<typeof authorizationRequest>>) {
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
    });
    return tokens.claims()?.amr;
  }

  /** A page whose script errors and console errors (a CSP refusal is one) fail the test. */
  async function watchedPage(options: Parameters<Browser["newContext"]>[0] = {}) {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    return { context, page, errors };
  }

  async function withAuthenticator(page: Page, options: VirtualAuthenticator) {
    const cdp: CDPSession = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { ...options, automaticPresenceSimulation: true },
    });
    return { cdp, authenticatorId };
  }

  const toAppBy = (page: Page, selector: string) =>
    Promise.all([
      page.waitForURL((url) => url.href.startsWith(loopback.redirectUri), { timeout: 15_000 }),
      page.click(selector),
    ]);

  async function passwordStep(page: Page, username: string, prompt?: string, extra?: Record<string, string>) {
    const request = await authorizationRequest(prompt, extra);
    await page.goto(request.url.href);
    await page.fill("#username", username);
    await page.fill("#password", password);
    await Promise.all([
      page.waitForNavigation(),
      page.click("form[action$='/password'] button[type=submit]"),
    ]);
    return request;
  }

  /** A user with a TOTP token (this tenant requires a second factor). */
  async function totpUser(username: string, scenario: string) {
    await s.api("POST", "/v1/users", { apiKey, body: { username, password }, scenario });
    await s.api("POST", "/v1/authenticators", {
      apiKey,
      body: { type: "totp", secret: encodeBase32(Buffer.from(totpHex, "hex")), username },
      scenario,
    });
  }

  /** The app asks for a key (tessera_action); the person signs in with password and TOTP code. */
  async function toKeyRequest(page: Page, username: string, prompt?: string) {
    const request = await passwordStep(page, username, prompt, { tessera_action: "register-security-key" });
    await page.fill("#otp-totp", oathtoolTotp(totpHex, s.clock.now()));
    await Promise.all([
      page.waitForNavigation(),
      page.click("form:has(input[name=factor][value=totp]) button[type=submit]"),
    ]);
    return request;
  }

  test("a person registers a passkey at enrolment (CTAP2 internal, UV) and signs in with it, no username typed", async () => {
    const { context, page, errors } = await watchedPage();
    try {
      const { cdp, authenticatorId } = await withAuthenticator(page, {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      });
      const first = await passwordStep(page, "ann");
      assert.equal(await page.locator("form:has(input[name=factor][value=webauthn])").count(), 1);
      await toAppBy(page, "form:has(input[name=factor][value=webauthn]) button[type=submit]");
      // Registering the key proved it after the password, as the first code of a new app does.
      assert.deepEqual(await amrAfter(page, first), ["pwd", "otp", "hwk"]);
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0]?.isResidentCredential, true, "a discoverable credential: a passkey");
      const keys = await s.api("GET", "/v1/users/ann/webauthn-keys", {
        apiKey,
        scenario: "sso webauthn browser: keys",
      });
      assert.equal((keys.body.keys as unknown[]).length, 1);

      // Next time, where the browser offers passkeys in the username field's autofill
      // (conditional mediation): the virtual authenticator picks the passkey at once, so the
      // page signs in without anything typed or clicked.
      const second = await authorizationRequest("login");
      await page.goto(second.url.href);
      await page.waitForURL((url) => url.href.startsWith(loopback.redirectUri), { timeout: 15_000 });
      assert.deepEqual(await amrAfter(page, second), ["hwk", "user", "otp"]);

      // A browser without conditional mediation: the "Sign in with a passkey" button.
      await page.addInitScript(() => {
        const api = globalThis as unknown as {
          PublicKeyCredential: { isConditionalMediationAvailable: () => Promise<boolean> };
        };
        api.PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
      });
      const third = await authorizationRequest("login");
      await page.goto(third.url.href);
      assert.equal(await page.getAttribute("#username", "autocomplete"), "username webauthn");
      await toAppBy(page, "form[action$='/passkey'] button[type=submit]");
      assert.deepEqual(await amrAfter(page, third), ["hwk", "user", "otp"]);
      const { credentials: after } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      assert.equal(after[0]?.signCount, 3, "registered once, signed twice");
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("a U2F-protocol key is the second factor after the password (amr pwd otp hwk)", async () => {
    const user = await s.server.ctx.database.db
      .selectFrom("users")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("username", "=", "ulf")
      .executeTakeFirstOrThrow();
    const key = await storedKey(s, { tenantId, userId: user.id, serial: "ULF-U2F", rpId: "localhost" });
    const { context, page, errors } = await watchedPage();
    try {
      const { cdp, authenticatorId } = await withAuthenticator(page, { protocol: "u2f", transport: "usb" });
      await cdp.send("WebAuthn.addCredential", {
        authenticatorId,
        credential: {
          credentialId: key.credential.id.toString("base64"),
          isResidentCredential: false,
          rpId: "localhost",
          privateKey: key.credential.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
          signCount: 0,
        },
      });
      const request = await passwordStep(page, "ulf");
      await toAppBy(page, "form:has(input[name=factor][value=webauthn]) button[type=submit]");
      // A U2F key cannot verify the person: possession only, no `user`.
      assert.deepEqual(await amrAfter(page, request), ["pwd", "otp", "hwk"]);
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      const counter = await s.server.ctx.database.db
        .selectFrom("webauthn_credentials")
        .select("sign_count")
        .where("credential_id", "=", key.credential.id.toString("base64url"))
        .executeTakeFirstOrThrow();
      assert.equal(Number(counter.sign_count), credentials[0]?.signCount, "the counter moved as the key's");
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("the app asks for a key: after password and TOTP code the person registers a passkey, then signs in with it", async () => {
    const scenario = "sso webauthn browser: key action";
    await totpUser("tom", scenario);
    const { context, page, errors } = await watchedPage();
    try {
      const { cdp, authenticatorId } = await withAuthenticator(page, {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      });
      const request = await toKeyRequest(page, "tom");
      // Signed in with both factors: now the app's request, a key or "Not now".
      assert.equal(await page.locator("form:has(input[name=decision][value=skip])").count(), 1);
      await toAppBy(page, "form:has(input[name=factor][value=webauthn]) button[type=submit]");
      // The code the app gets is for the sign-in the password and the code proved.
      assert.deepEqual(await amrAfter(page, request), ["pwd", "otp"]);
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0]?.isResidentCredential, true, "a discoverable credential: a passkey");
      const keys = await s.api("GET", "/v1/users/tom/webauthn-keys", { apiKey, scenario });
      assert.equal((keys.body.keys as unknown[]).length, 1);

      // Next time the passkey alone (offered in the username field's autofill): both factors.
      const next = await authorizationRequest("login");
      await page.goto(next.url.href);
      await page.waitForURL((url) => url.href.startsWith(loopback.redirectUri), { timeout: 15_000 });
      assert.deepEqual(await amrAfter(page, next), ["hwk", "user", "otp"]);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("axe-core: no serious or critical violation on the passkey, key factor, key enrolment and key request pages", async () => {
    const { context, page } = await watchedPage({ bypassCSP: true });
    try {
      await page.goto((await authorizationRequest("login")).url.href);
      assert.equal(await page.locator("form[action$='/passkey']").count(), 1);
      assert.deepEqual(await seriousViolations(page), [], "first page with the passkey button");
      await passwordStep(page, "ulf", "login");
      assert.equal(await page.locator("input[name=factor][value=webauthn]").count(), 1);
      assert.deepEqual(await seriousViolations(page), [], "factor page with the key");
      await passwordStep(page, "uma", "login");
      assert.equal(await page.locator("form:has(input[name=factor][value=webauthn])").count(), 1);
      assert.deepEqual(await seriousViolations(page), [], "enrolment page with the key");
      await totpUser("tia", "sso webauthn browser: axe");
      await toKeyRequest(page, "tia", "login");
      assert.equal(await page.locator("form:has(input[name=decision][value=skip])").count(), 1);
      assert.deepEqual(await seriousViolations(page), [], "the app's request for a key");
    } finally {
      await context.close();
    }
  });
});
