import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import * as oidc from "openid-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { approvalPayload } from "../src/approvals/approval-payload.ts";
import { finishApprovalRequest } from "../src/approvals/approval-store.ts";
import { insertSealedAuthenticator } from "../src/authenticators/authenticator-secret.ts";
import { seriousViolations } from "./helpers/axe.ts";
import { launchBrowser } from "./helpers/browser.ts";
import { mailedCode, verifiedEmailDevice } from "./helpers/challenge-devices.ts";
import { until } from "./helpers/link.ts";
import { type LoopbackApp, startLoopbackApp } from "./helpers/loopback-app.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { insertPublicTestApp } from "./helpers/sso-test-app.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const password = "correct horse battery";

/**
 * The out-of-band and push factors of the sign-in pages in Chromium: an e-mail code read from a
 * real SMTP peer and typed, a push approved by a device key (the page's own script, under the
 * page's real CSP, continues once it is approved), and axe-core on each new page. SQLite is
 * enough: the HTTP tests run the same pages on both backends.
 */
suite("SSO factor pages in Chromium", () => {
  let s: TestServer;
  let smtp: SmtpSink;
  let browser: Browser;
  let loopback: LoopbackApp;
  let config: oidc.Configuration;
  let pushKey: KeyObject;
  let pushUserId: string;
  const address = "eve.person@example.test";

  before(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer("sqlite", { flags: smtpFlags(smtp) });
    browser = await launchBrowser();
    loopback = await startLoopbackApp();
    const { tenant, apiKey } = await s.tenant();
    for (const username of ["eve", "pat"])
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password },
        scenario: "sso factor pages: setup",
      });
    // Eve binds her e-mail address through the API (the code read from the SMTP peer).
    await verifiedEmailDevice(
      (method, path, body, scenario) => s.api(method, path, { apiKey, body, scenario }),
      smtp,
      "eve",
      address,
    );
    // Pat's phone app: an enrolled push device with its Ed25519 key (the row enrolment makes).
    const pat = await s.server.ctx.database.db
      .selectFrom("users")
      .select("id")
      .where("tenant_id", "=", tenant.id)
      .where("username", "=", "pat")
      .executeTakeFirstOrThrow();
    pushUserId = pat.id;
    const keys = generateKeyPairSync("ed25519");
    pushKey = keys.privateKey;
    const material = {
      publicKey: keys.publicKey.export({ format: "der", type: "spki" }).toString("base64url"),
    };
    await insertSealedAuthenticator(
      s.server.ctx,
      {
        tenant_id: tenant.id,
        serial: "PATPHONE1",
        type: "push",
        user_id: pat.id,
        activated: 1,
        algorithm: "ed25519",
        digits: 6,
        period: null,
        position: 0,
      },
      Buffer.from(JSON.stringify(material), "utf8"),
      s.clock.now(),
    );
    const clientId = await insertPublicTestApp(s, tenant.id, {
      name: "Field notes",
      redirectUri: loopback.redirectUri,
    });
    // The helper's app accepts TOTP only; this one accepts any factor the user has.
    await s.server.ctx.database.db
      .updateTable("sso_apps")
      .set({ second_factors: "[]" })
      .where("client_id", "=", clientId)
      .execute();
    config = await oidc.discovery(new URL(`/oidc/${tenant.id}`, s.url), clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
  });
  after(async () => {
    await browser.close();
    await loopback.close();
    await s.close();
    await smtp.close();
  });

  async function authorizationRequest() {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: loopback.redirectUri,
      scope: "openid profile",
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
    });
    return { url, codeVerifier, state };
  }

  async function submit(page: Page, selector = "button[type=submit]") {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  async function toFactorPage(page: Page, username: string) {
    const request = await authorizationRequest();
    await page.goto(request.url.href);
    await page.fill("#username", username);
    await page.fill("#password", password);
    await submit(page);
    return request;
  }

  async function amrAfter(page: Page, request: Awaited<ReturnType<typeof authorizationRequest>>) {
    const callback = new URL(page.url());
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
    });
    return tokens.claims()?.amr;
  }

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

  /** The phone approves Pat's pending request: its key signs approvalPayload with the number. */
  async function approvePending(): Promise<void> {
    const db = s.server.ctx.database.db;
    const row = await db
      .selectFrom("approval_requests")
      .selectAll()
      .where("user_id", "=", pushUserId)
      .where("status", "=", "pending")
      .executeTakeFirstOrThrow();
    const payload = approvalPayload({
      reference: row.reference,
      kind: "sign-in",
      decision: "approved",
      number: row.number_to_match,
      details: null,
    });
    const approvalCode = sign(null, payload, pushKey).toString("base64url");
    assert.ok(
      await finishApprovalRequest(
        db,
        row.id,
        { status: "approved", approvalCode, fraud: false },
        s.clock.now(),
      ),
    );
  }

  test("e-mail code: send, read it from the SMTP peer, type it, signed in (amr pwd otp)", async () => {
    await inContext({}, async (context) => {
      const page = await context.newPage();
      const request = await toFactorPage(page, "eve");
      const before = smtp.to(address).length;
      assert.ok(!(await page.content()).includes(address), "the address is masked");
      await submit(page, "form:has(input[name=factor][value=email]) button[type=submit]");
      const code = await mailedCode(smtp, address, before + 1);
      await page.fill("input[name=otp]", code);
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(loopback.redirectUri)),
        page.click("form:has(input[name=challenge]) button[type=submit]"),
      ]);
      assert.deepEqual(await amrAfter(page, request), ["pwd", "otp"]);
    });
  });

  test("push: the number is shown; the page's script continues once the phone approved (amr swk user)", async () => {
    await inContext({}, async (context) => {
      const page = await context.newPage();
      const request = await toFactorPage(page, "pat");
      await submit(page, "form:has(input[name=factor][value=push]) button[type=submit]");
      const shown = await page.textContent("#number-to-match");
      const row = await s.server.ctx.database.db
        .selectFrom("approval_requests")
        .select("number_to_match")
        .where("user_id", "=", pushUserId)
        .where("status", "=", "pending")
        .executeTakeFirstOrThrow();
      assert.equal(Number(shown), row.number_to_match);
      const arrived = loopback.arrivals.length;
      await approvePending();
      // Nobody presses "continue": the module served by the server polls and submits the form.
      await page.waitForURL((url) => url.href.startsWith(loopback.redirectUri), { timeout: 15_000 });
      await until(() => loopback.arrivals.length > arrived, "the browser back at the app");
      assert.deepEqual(await amrAfter(page, request), ["pwd", "otp", "swk", "user"]);
    });
  });

  test("push without JavaScript: 'continue' re-checks and signs in once approved", async () => {
    await inContext({ javaScriptEnabled: false }, async (context) => {
      const page = await context.newPage();
      await toFactorPage(page, "pat");
      await submit(page, "form:has(input[name=factor][value=push]) button[type=submit]");
      await submit(page, "form:has(input[name=push]) button[type=submit]");
      assert.equal(await page.locator("#number-to-match").count(), 1, "still waiting: the number again");
      await approvePending();
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(loopback.redirectUri)),
        page.click("form:has(input[name=push]) button[type=submit]"),
      ]);
    });
  });

  const pages: Record<string, [string, (page: Page) => Promise<unknown>]> = {
    "factor choice page (e-mail)": ["eve", async () => undefined],
    "code page (e-mail)": [
      "eve",
      (page) => submit(page, "form:has(input[name=factor][value=email]) button[type=submit]"),
    ],
    "push waiting page": [
      "pat",
      (page) => submit(page, "form:has(input[name=factor][value=push]) button[type=submit]"),
    ],
  };
  for (const [name, [username, open]] of Object.entries(pages))
    test(`axe-core: no serious or critical violation on the ${name}`, async () => {
      // A push left pending blocks the next one (one pending per user): each starts clean.
      s.clock.advance(10 * 60_000);
      await inContext({ bypassCSP: true }, async (context) => {
        const page = await context.newPage();
        await toFactorPage(page, username);
        await open(page);
        assert.deepEqual(await seriousViolations(page), []);
      });
    });
});
