import { rename, writeFile } from "node:fs/promises";
import { launchBrowser } from "../../../server/test/helpers/browser.ts";
import { Browser, fill, type SsoSignInOptions } from "../../../server/test/helpers/sso-sign-in.ts";

/**
 * The "system browser" of the sign-in tests, started by the identity client's helper process
 * through the BROWSER hook: `node signin-browser.ts <mode> <report file> [args…] <authorization URL>`.
 * It writes what it saw as JSON into the report file (renamed into place, so the test reads it
 * whole) and exits. Modes:
 * - chromium <user> <password>: Debian's Chromium (playwright-core) fills the sign-in page and
 *   waits for the page the client's helper shows at the end;
 * - http <user> <password>: the same over plain HTTP (the server tests' Browser), keeping the
 *   redirect URL for replay tests; http-burst sends that redirect 10 times at once;
 * - craft <kind> [file]: sends a crafted redirect to the loopback port instead of signing in:
 *   wrong-state, missing-code, wrong-iss, cancel, post, garbage, replay (the query in `file`).
 */
const [mode = "", report = "", ...rest] = process.argv.slice(2);
const authorization = new URL(rest.at(-1) ?? "");
const redirectUri = authorization.searchParams.get("redirect_uri") ?? "";
const state = authorization.searchParams.get("state") ?? "";
const issuer = authorization.href.slice(0, authorization.href.indexOf("/auth?"));
// A test that fails must not leave this process behind.
setTimeout(() => process.exit(3), 90_000).unref();

async function done(result: Record<string, unknown>) {
  await writeFile(`${report}.part`, JSON.stringify(result));
  await rename(`${report}.part`, report);
}

async function page(response: Response) {
  return {
    status: response.status,
    html: await response.text(),
    headers: Object.fromEntries(response.headers),
  };
}

async function viaChromium(username: string, password: string) {
  const browser = await launchBrowser();
  try {
    const tab = await browser.newPage();
    await tab.goto(authorization.href);
    await tab.fill("#username", username);
    await tab.fill("#password", password);
    await tab.click("button[type=submit]");
    // Then the client's page, or first a consent page (prompt=consent) to allow.
    const allow = tab.locator("form:has(input[name=decision][value=allow]) button[type=submit]");
    await tab.locator("#result").or(allow).first().waitFor();
    if (await allow.count()) await allow.click();
    const result = tab.locator("#result");
    await result.waitFor();
    await done({
      url: tab.url(),
      result: (await result.getAttribute("data-result")) ?? "",
      lang: (await tab.locator("html").getAttribute("lang")) ?? "",
      html: await tab.content(),
    });
  } finally {
    await browser.close();
  }
}

const textOf = (html: string) =>
  html
    .replace(/<(style|script)[\s\S]*?<\/\1>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();

async function viaHttp(username: string, password: string, burst = false) {
  const browser = new Browser();
  const options = { redirectUri, username, password } as SsoSignInOptions;
  let at = await browser.follow(authorization, redirectUri);
  for (let step = 0; step < 6 && !("callback" in at); step++) {
    if (!/<form/.test(at.html))
      throw new Error(`stuck at ${at.url.pathname} (${at.status}): ${textOf(at.html)}`);
    const { form, fields } = fill(at, options);
    at = await browser.follow(form.action, redirectUri, { method: "POST", form: fields });
  }
  if (!("callback" in at)) throw new Error("the sign-in did not reach the redirect");
  const callback = at.callback;
  if (!burst) return done({ callback: callback.href, ...(await page(await fetch(callback))) });
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, async () => {
      try {
        const shown = await page(await fetch(callback));
        return /data-result="success"/.test(shown.html) ? "success" : shown.status;
      } catch {
        return "refused";
      }
    }),
  );
  await done({ statuses: JSON.stringify(outcomes) });
}

async function crafted(kind: string, file: string | undefined) {
  const query: Record<string, string> = { code: "a-crafted-code", state, iss: issuer };
  let init: RequestInit = {};
  let search: string;
  if (kind === "wrong-state") query.state = "not-the-state";
  if (kind === "missing-code") delete query.code;
  if (kind === "wrong-iss") query.iss = "http://127.0.0.1:1/oidc/someone-else";
  if (kind === "cancel") {
    delete query.code;
    query.error = "access_denied";
  }
  if (kind === "post") init = { method: "POST" };
  search = new URLSearchParams(query).toString();
  if (kind === "garbage") search = "%zz&&state=%ff";
  if (kind === "replay") {
    const { readFile } = await import("node:fs/promises");
    search = new URL(JSON.parse(await readFile(file ?? "", "utf8")).callback).search.slice(1);
  }
  // Something else reaching the port first is not the redirect: it must not decide anything.
  const stray = await fetch(new URL("/favicon.ico", redirectUri));
  await done({ stray: stray.status, ...(await page(await fetch(`${redirectUri}?${search}`, init))) });
}

try {
  if (mode === "chromium") await viaChromium(rest[0] ?? "", rest[1] ?? "");
  else if (mode === "http" || mode === "http-burst")
    await viaHttp(rest[0] ?? "", rest[1] ?? "", mode === "http-burst");
  else if (mode === "craft") await crafted(rest[0] ?? "", rest.length > 2 ? rest[1] : undefined);
  else throw new Error(`unknown mode ${mode}`);
} catch (error) {
  await done({ error: String(error) });
}
