import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { answerOf, startChild, tesseraLogin } from "./helpers/cli-run.ts";
import { reportOf, type SignInFixture, startSignInFixture, testBrowser } from "./helpers/signin-fixture.ts";

/**
 * The issue's "Done when": examples/desktop-app/app.ts, a desktop-style program, signs in once
 * through the system browser (Debian's Chromium through the documented BROWSER hook) and a second
 * process of it is signed in too, without any browser; `tessera-login signout` then makes a
 * running `--watch` process of it print its sign-out line (session events). Every process is real
 * and the test waits for lines on stdout, never for time.
 */
const app = new URL("../../../examples/desktop-app/app.ts", import.meta.url).pathname;

describe("examples/desktop-app: one sign-in shared by every process of the program", () => {
  let f: SignInFixture;
  let storeDir = "";
  const children: { stop(): void }[] = [];
  before(async () => {
    f = await startSignInFixture();
    storeDir = await mkdtemp(join(f.dir, "desktop-store-"));
  });
  after(async () => {
    for (const child of children) child.stop();
    await f.close();
  });

  const program = (extra: readonly string[], env: Record<string, string>) => {
    const child = startChild(
      app,
      ["--issuer", f.app.issuer.href, "--client-id", f.app.clientId, "--store-dir", storeDir, ...extra],
      env,
    );
    children.push(child);
    return child;
  };

  test("process 1 signs in through Chromium, process 2 is signed in already, signout reaches a watcher", async () => {
    const report = join(f.dir, "desktop-browser.json");
    const first = program([], { BROWSER: testBrowser("chromium", report, f.username, f.password) });
    await first.stdoutLine(/^signing in through the browser/);
    const [, firstUser] = await first.stdoutLine(/^signed in as (.+)$/);
    assert.equal(firstUser, f.username, "the name from the userinfo profile, not the subject");
    assert.equal((await first.result()).code, 0);
    assert.match(
      (await reportOf(report)).html ?? "",
      /data-result="success"/,
      "the browser saw the success page",
    );

    // No browser at all: a BROWSER command that cannot start would fail any sign-in attempt.
    const noBrowser = { BROWSER: join(f.dir, "no-such-browser") };
    const second = program([], noBrowser);
    const [, secondUser] = await second.stdoutLine(/^already signed in as (.+)$/);
    assert.equal(secondUser, firstUser);
    const secondRun = await second.result();
    assert.equal(secondRun.code, 0);
    assert.doesNotMatch(secondRun.stdout, /signing in through the browser/);

    const watcher = program(["--watch"], noBrowser);
    await watcher.stdoutLine(/^already signed in as /);
    await watcher.stdoutLine(/^watching for sign-outs$/);
    const signout = await tesseraLogin(["signout", "--json", "--store-dir", storeDir], {
      TESSERA_ISSUER: f.app.issuer.href,
      TESSERA_CLIENT_ID: f.app.clientId,
    });
    assert.equal(
      answerOf(signout, "desktop app: tessera-login signout").statusName,
      "Success",
      signout.stdout,
    );
    await watcher.stdoutLine(/^signed out by another process of the program$/);
    assert.equal((await watcher.result()).code, 0, "the watcher exits once signed out");

    const status = await tesseraLogin(["status", "--json", "--store-dir", storeDir], {
      TESSERA_ISSUER: f.app.issuer.href,
      TESSERA_CLIENT_ID: f.app.clientId,
    });
    assert.equal(answerOf(status, "desktop app: status after signout").statusName, "AuthDataEmpty");
    assert.equal(status.code, 3, "signed out: the next process must sign in again");
  });
});
