import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { ManualClock } from "../../../server/src/clock/clock.ts";
import { DEVICE_GRANT_TYPE } from "../../../server/src/sso/apps/app.ts";
import {
  createTestApp,
  passSignInPages,
  type TestApp,
} from "../../../server/test/helpers/sso-grant-fixtures.ts";
import { Browser } from "../../../server/test/helpers/sso-sign-in.ts";
import { startTestServer, type TestServer } from "../../../server/test/helpers/test-server.ts";
import { IdentityClient, type InitOptions } from "../../src/index.ts";
import { openSessionStore } from "../../src/store/file-session-store.ts";

/**
 * A real Tessera server for the sign-in tests, a native app (loopback redirect, refresh, device
 * grant) and a user with a password. The server's ManualClock starts at the real time: the client
 * checks the ID token's times against its own clock. The app has no second factor, so a browser
 * signs in with the password page alone.
 */
export interface SignInFixture {
  readonly s: TestServer;
  readonly tenantId: string;
  readonly app: TestApp;
  /** An app without the device grant. */
  readonly browserOnlyApp: TestApp;
  readonly username: string;
  readonly password: string;
  readonly userId: string;
  readonly dir: string;
  close(): Promise<void>;
}

export async function startSignInFixture(): Promise<SignInFixture> {
  const s = await startTestServer("sqlite", { clock: new ManualClock(Date.now()) });
  // Password-only sign-in: the tenant does not require a second factor (the default requires one).
  const { tenant, apiKey } = await s.tenant(undefined, { ssoSecondFactor: "optional" });
  const username = "sigrid";
  const password = "a long and correct password";
  const created = await s.api("POST", "/v1/users", {
    apiKey,
    body: { username, password, email: "sigrid@mail.test" },
    scenario: "identity sign-in: a user",
  });
  const userId = String((created.body.user as { id: string }).id);
  const grants = { kind: "native" as const, redirectUris: ["http://127.0.0.1/callback"] };
  const app = await createTestApp(s, tenant.id, {
    ...grants,
    grantTypes: ["authorization_code", "refresh_token", DEVICE_GRANT_TYPE],
  });
  const browserOnlyApp = await createTestApp(s, tenant.id, {
    ...grants,
    grantTypes: ["authorization_code", "refresh_token"],
  });
  const dir = await mkdtemp(join(tmpdir(), "tessera-signin-"));
  return {
    s,
    tenantId: tenant.id,
    app,
    browserOnlyApp,
    username,
    password,
    userId,
    dir,
    async close() {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An initialised interactive client of `app` with its own store directory. */
export async function signInClient(
  f: SignInFixture,
  options: Partial<InitOptions> & { app?: TestApp } = {},
): Promise<IdentityClient> {
  const { app = f.app, ...rest } = options;
  const client = new IdentityClient();
  const storeDir = await mkdtemp(join(f.dir, "store-"));
  const init = await client.init({
    issuer: app.issuer.href,
    clientId: app.clientId,
    mode: "interactive",
    storeDir,
    ...rest,
  });
  if (init.status !== 0) throw new Error(`init failed: ${init.status} ${init.message}`);
  return client;
}

export { observe } from "./observe.ts";

/** The tokens the store in `storeDir` holds for the fixture's app (read as the tokens part reads them). */
export async function storedTokens(f: SignInFixture, storeDir: string) {
  const store = await openSessionStore({
    storeDir,
    issuer: f.app.issuer.href,
    clientId: f.app.clientId,
    lockTimeoutMs: 5000,
  });
  assert.ok(store.ok);
  const read = await store.value.read();
  assert.ok(read.ok);
  return read.value?.tokens;
}

/** The test browser script (BROWSER hook): `node signin-browser.ts <mode> <report file> <url>`. */
export const browserScript = join(import.meta.dirname, "signin-browser.ts");

/** The `browser` option running the test browser script in `mode`, reporting into `report`. */
export const testBrowser = (mode: string, report: string, ...extra: string[]) =>
  [process.execPath, browserScript, mode, report, ...extra, "%s"].map((word) => `"${word}"`).join(" ");

/** Waits until the browser script wrote its report (it writes it last, in one rename). */
export async function reportOf(path: string, timeoutMs = 60_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text !== undefined) return JSON.parse(text) as Record<string, string>;
    if (Date.now() > deadline) throw new Error(`the browser script wrote no report to ${path}`);
    await delay(25);
  }
}

const xsrfOf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

/**
 * The person's side of the device grant, over HTTP as in the server's device-flow tests: the
 * user-code page, its confirmation, the password page. Then the server clock moves one polling
 * interval, so the client's next poll is answered (not slow_down).
 */
export async function approveDevice(
  f: SignInFixture,
  userCode: string,
  verificationUri: string,
): Promise<void> {
  const browser = new Browser();
  const page = new URL(verificationUri);
  const form = await browser.request(page);
  const confirm = await browser.request(page, {
    method: "POST",
    form: { xsrf: xsrfOf(await form.text()), user_code: userCode },
  });
  const answers = {
    baseUrl: f.s.url,
    tenantId: f.tenantId,
    clientId: f.app.clientId,
    username: f.username,
    password: f.password,
    // No redirect URI in the device flow: the pages end on the provider's success page.
    redirectUri: "urn:tessera:test:none",
  };
  const signIn = await browser.follow(page, answers.redirectUri, {
    method: "POST",
    form: { xsrf: xsrfOf(await confirm.text()), user_code: userCode, confirm: "yes" },
  });
  const end = await passSignInPages(browser, signIn, answers);
  if ("callback" in end || end.status !== 200)
    throw new Error("the device sign-in did not end on its success page");
  f.s.clock.advance(DEVICE_POLL_MS);
}

/** The server's device polling interval (RFC 8628 §3.5, 5 s). */
const DEVICE_POLL_MS = 5000;
