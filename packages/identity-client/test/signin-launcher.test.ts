import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ClientContext } from "../src/client-context.ts";
import { IdentityStatusCode } from "../src/index.ts";
import { browserArgv, launchBrowser, openInBrowser, splitCommand } from "../src/signin/browser-launcher.ts";
import { observe } from "./helpers/signin-fixture.ts";

/** The BROWSER hook: how the command is read, and what counts as a browser that did not start. */
const url = "http://127.0.0.1:9/oidc/t/auth?a=1&b='2' $(id)";

test("the browser option, else $BROWSER: %s is the URL, else the URL is appended; quotes group, nothing expands", () => {
  assert.deepEqual(browserArgv(url, `"/opt/my browser" --new-window %s`, {}), [
    "/opt/my browser",
    "--new-window",
    url,
  ]);
  assert.deepEqual(browserArgv(url, undefined, { BROWSER: "firefox -P 'work profile'" }), [
    "firefox",
    "-P",
    "work profile",
    url,
  ]);
  assert.deepEqual(browserArgv(url, "x --url=%s", { BROWSER: "ignored" }), ["x", `--url=${url}`]);
  assert.deepEqual(splitCommand(`a "" 'b c'  d$HOME`), ["a", "", "b c", "d$HOME"]);
  // No option and an empty $BROWSER: the platform's opener (xdg-open here), never a shell.
  assert.deepEqual(browserArgv(url, undefined, { BROWSER: " " }), ["xdg-open", url]);
});

test("a command that cannot start or fails at once is no browser; one that runs or exits 0 is", async () => {
  assert.deepEqual(await launchBrowser(["/no/such/browser", url]), {
    ok: false,
    message: "the browser command /no/such/browser cannot be started (ENOENT)",
  });
  assert.deepEqual(await launchBrowser(["false", url]), {
    ok: false,
    message: "the browser command false failed (exit 1)",
  });
  assert.deepEqual(await launchBrowser(["true", url]), { ok: true });
  assert.deepEqual(await launchBrowser([]), { ok: false, message: "the browser command is empty" });
  // The URL reaches the command as one argument, unexpanded (no shell in between).
  const dir = await mkdtemp(join(tmpdir(), "tessera-launcher-"));
  try {
    const out = join(dir, "argv");
    assert.deepEqual(await launchBrowser(["sh", "-c", `printf %s "$1" > ${out}`, "sh", url]), { ok: true });
    assert.equal(await readFile(out, "utf8"), url);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("openInBrowser answers InitCefFailed for a browser that cannot start, naming only the command", async () => {
  const ctx = { options: { browser: "/no/such/browser" } } as unknown as ClientContext;
  const result = observe(await openInBrowser(ctx, new URL(url)), "open in browser: cannot start");
  assert.equal(result.status, IdentityStatusCode.InitCefFailed);
  assert.equal(result.message, "the browser command /no/such/browser cannot be started (ENOENT)");
  const started = observe(
    await openInBrowser({ options: { browser: "true" } } as unknown as ClientContext, new URL(url)),
    "open in browser",
  );
  assert.equal(started.status, IdentityStatusCode.Success);
});
