import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import type { Browser } from "playwright-core";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { launchBrowser } from "./helpers/browser.ts";
import { oathtoolTotp } from "./helpers/oathtool.ts";
import { recoveryLink, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The end-user pages in a real browser. The pages hold no database logic of their own (the HTTP
 * tests run them on both backends), so one backend is enough here.
 */
suite("end-user pages in Chromium", () => {
  let s: TestServer;
  let smtp: SmtpSink;
  let browser: Browser;
  before(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer("sqlite", { flags: smtpFlags(smtp) });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser.close();
    await s.close();
    await smtp.close();
  });
  const local = (url: string | URL) => String(url).replace(/^https?:\/\/[^/]+/, s.url);

  test("the e-mailed recovery link: fill in the form, submit, and the new password works", async () => {
    const { apiKey } = await s.tenant();
    await s.api("POST", "/v1/users", {
      apiKey,
      body: { username: "xena", email: "xena@mail.test", password: "the old password" },
      scenario: "browser: setup",
    });
    await s.api("POST", "/v1/password-recovery", {
      apiKey,
      body: { username: "xena" },
      scenario: "browser: recovery",
    });
    const page = await browser.newPage();
    await page.goto(local(await recoveryLink(smtp, "xena@mail.test", 1)));
    await page.fill("#password", "chosen in a browser");
    await page.fill("#confirm", "chosen in a browser");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    assert.equal(await page.textContent("h1"), "Your password was changed");
    const signIn = await s.api("POST", "/v1/auth/password", {
      apiKey,
      body: { username: "xena", password: "chosen in a browser" },
      scenario: "browser: after recovery",
    });
    assert.equal(signIn.body.errorCode, 0);
    await page.close();
  });

  test("the provisioning link: no secret until the button is pressed, then once only", async () => {
    const { apiKey } = await s.tenant();
    await s.api("POST", "/v1/users", { apiKey, body: { username: "yuri" }, scenario: "browser: setup" });
    const created = await s.api("POST", "/v1/authenticators", {
      apiKey,
      body: { type: "totp", username: "yuri" },
      scenario: "browser: setup",
    });
    const serial = (created.body.authenticator as { serial: string }).serial;
    const link = await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
      apiKey,
      scenario: "browser: provisioning link",
    });
    const page = await browser.newPage();
    await page.goto(local(String(link.body.url)));
    const before = await page.content();
    assert.doesNotMatch(before, /otpauth:|id="secret"/);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    const secret = (await page.textContent("#secret")) ?? "";
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(await page.locator("img[alt^='QR code']").count(), 1);
    const label = decodeURIComponent(
      new URL((await page.getAttribute("a[href^='otpauth:']", "href")) ?? "").pathname,
    );
    assert.match(label, /:yuri$/, "the app shows the holder, not the serial");
    const hex = (decodeBase32(secret) ?? Buffer.alloc(0)).toString("hex");
    const otp = await s.api("POST", "/v1/auth/otp", {
      apiKey,
      body: { username: "yuri", otp: oathtoolTotp(hex, s.clock.now()) },
      scenario: "browser: code from the shown secret",
    });
    assert.equal(otp.body.errorCode, 0);
    // A reload posts the form again (or shows the link page); either way the secret is gone.
    await page.reload().catch(() => {});
    assert.doesNotMatch(await page.content(), /otpauth:|id="secret"/);
    await page.goto(local(String(link.body.url)));
    const spent = await page.content();
    assert.doesNotMatch(spent, /otpauth:|id="secret"|<form/);
    assert.match(spent, /This link was already used or replaced\. Ask for a new one\./);
    await page.close();
  });

  test("the reference page at /docs shows each operation's summary and its documented error codes", async () => {
    const page = await browser.newPage();
    await page.goto(`${s.url}/docs/`);
    // Swagger UI renders the served /openapi.json; an operation opens on a click on its summary.
    const operation = page.locator(".opblock-post", { hasText: "Create a user" }).first();
    await operation.locator(".opblock-summary").click();
    const responses = operation.locator(".responses-table");
    await responses.waitFor();
    const text = (await responses.textContent()) ?? "";
    assert.match(text, /409/);
    assert.match(text, /EnrollPartnerUserFailed \(9055\)/);
    assert.match(text, /PartnerLoginFailed \(9000\)/);
    await page.close();
  });
});
