import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { seriousViolations } from "./helpers/axe.ts";
import { launchBrowser } from "./helpers/browser.ts";
import { insertPublicTestApp } from "./helpers/sso-test-app.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Every SSO page in Chromium: axe-core finds no serious or critical violation, the keyboard
 * reaches the fields and then the buttons, and the pages work without JavaScript. The pages hold
 * no database logic of their own (the HTTP tests run them on both backends), so SQLite is enough.
 */
suite("SSO pages in Chromium", () => {
  let s: TestServer;
  let browser: Browser;
  let tenantId: string;
  let clientId: string;
  before(async () => {
    s = await startTestServer("sqlite");
    browser = await launchBrowser();
    tenantId = (await s.tenant()).tenant.id;
    clientId = await insertPublicTestApp(s, tenantId, { name: "Kiosk" });
  });
  after(async () => {
    await browser.close();
    await s.close();
  });
  const issuer = () => `${s.url}/oidc/${tenantId}`;

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
  const ssoPages: Record<string, (page: Page) => Promise<unknown>> = {
    "device user-code input": async (page) => page.goto((await deviceRequest()).url),
    "device user-code input, wrong code": async (page) => {
      await page.goto((await deviceRequest()).url);
      await page.fill("#user_code", "BCDF-GHJK");
      await submit(page);
    },
    "device confirmation": async (page) => {
      const { url, userCode } = await deviceRequest();
      await page.goto(url);
      await page.fill("#user_code", userCode);
      await submit(page);
    },
    "error page": (page) => page.goto(`${issuer()}/auth?client_id=nope&response_type=code&scope=openid`),
    "signed-out page": async (page) => {
      // Without a session the provider posts the sign-out form itself (its form_post page).
      await page.goto(`${issuer()}/session/end`);
      await page.waitForURL(/\/session\/end\/success/);
    },
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

  for (const [name, open] of Object.entries(ssoPages)) {
    test(`axe-core: no serious or critical violation on the ${name}`, async () => {
      await inContext({ bypassCSP: true }, async (context) => {
        const page = await context.newPage();
        await open(page);
        assert.equal(await page.locator("h1").count(), 1, "the page rendered");
        assert.deepEqual(await seriousViolations(page), []);
      });
    });
  }

  test("every SSO page runs under its CSP with nothing refused and no script of its own", async () => {
    await inContext({}, async (context) => {
      for (const [name, open] of Object.entries(ssoPages)) {
        const page = await context.newPage();
        const refused: string[] = [];
        page.on("console", (message) => {
          if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
        });
        await open(page);
        assert.deepEqual(refused, [], name);
        assert.equal(await page.locator("script, [onfocus], [onclick], [onload]").count(), 0, name);
        await page.close();
      }
    });
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
});
