import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe as suite, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { IdentityStatusCode } from "../src/index.ts";
import {
  introspect,
  newStoreDir,
  observe,
  programClient,
  programContext,
  signedInProgram,
  startTokensFixture,
  stored,
  tokensFixtureForSuite,
} from "./helpers/tokens-fixture.ts";

/** The file's content once it exists (the browser runs as its own process): polled, never slept on. */
async function waitForFile(path: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text !== undefined && text !== "") return text;
    if (Date.now() > deadline) throw new Error(`${path} never appeared`);
    await delay(20);
  }
}

suite("tokens: sign-out", () => {
  const fx = tokensFixtureForSuite();

  test("sign-out clears the store for every process and revokes the grant: the old tokens are inactive at the server", async () => {
    const { storeDir, ctx, signedIn } = await signedInProgram(fx);
    const accessToken = signedIn.tokens?.accessToken ?? "";
    assert.equal((await introspect(ctx, accessToken)).active, true);
    const client = await programClient(fx, storeDir);
    const other = await programClient(fx, storeDir);
    const out = observe(await client.signOut(), "tokens: sign-out");
    assert.equal(out.status, IdentityStatusCode.Success);
    const after = await stored(ctx);
    assert.equal(after?.tokens, undefined);
    assert.equal(after?.profile, undefined);
    assert.equal(after?.generation, signedIn.generation + 1, "a new generation tells the other processes");
    assert.equal(
      observe(await other.getAccessToken(), "tokens: another process after the sign-out").status,
      IdentityStatusCode.AuthDataEmpty,
    );
    assert.equal((await introspect(ctx, accessToken)).active, false, "the access token died with the grant");
    assert.equal((await introspect(ctx, signedIn.tokens?.refreshToken ?? "")).active, false);
    client.close();
    other.close();
  });

  test("everywhere: the system browser is sent to the end-session endpoint naming the app by client_id", async () => {
    const { storeDir, ctx, signedIn } = await signedInProgram(fx);
    const opened = join(storeDir, "opened-url");
    const browser = join(storeDir, "record-browser.sh");
    // The "system browser" records the address it was asked to open (the BROWSER hook).
    await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o700 });
    const client = await programClient(fx, storeDir, { browser });
    const out = observe(await client.signOut({ everywhere: true }), "tokens: sign-out everywhere");
    assert.equal(out.status, IdentityStatusCode.Success);
    const url = new URL(await waitForFile(opened));
    assert.equal(url.href.split("?")[0], ctx.server?.serverMetadata().end_session_endpoint);
    // client_id, not the ID token: the URL is the browser's argv, readable by every local user (review3).
    assert.equal(url.searchParams.get("id_token_hint"), null);
    assert.equal(url.searchParams.get("client_id"), signedIn.clientId);
    client.close();
  });

  test("everywhere, with no browser that can start: signed out here and at the server, and the status says the browser did not open", async () => {
    const { storeDir, ctx, signedIn } = await signedInProgram(fx);
    const client = await programClient(fx, storeDir, { browser: "/nonexistent/tessera-no-browser" });
    const out = observe(
      await client.signOut({ everywhere: true }),
      "tokens: sign-out everywhere, no browser",
    );
    assert.equal(out.status, IdentityStatusCode.InitCefFailed);
    assert.match(out.message ?? "", /signed out here and at the server/);
    assert.equal((await stored(ctx))?.tokens, undefined);
    assert.equal((await introspect(ctx, signedIn.tokens?.accessToken ?? "")).active, false);
    client.close();
  });

  test("signing out with nobody signed in is Success and changes nothing", async () => {
    const storeDir = await newStoreDir();
    const ctx = await programContext(fx, storeDir);
    const client = await programClient(fx, storeDir);
    // The record may exist (init may cache the discovery in it): it must not change.
    const before = await stored(ctx);
    assert.equal(before?.tokens, undefined);
    assert.equal(
      observe(await client.signOut(), "tokens: sign-out, nobody signed in").status,
      IdentityStatusCode.Success,
    );
    assert.deepEqual(await stored(ctx), before);
    client.close();
  });

  test("the server unreachable: the local sign-out still happens, and the status says the server was not told", async () => {
    const own = await startTokensFixture();
    const { storeDir, ctx } = await signedInProgram(own);
    const client = await programClient(own, storeDir);
    await own.s.close();
    const out = observe(await client.signOut(), "tokens: sign-out with the server unreachable");
    assert.equal(out.status, IdentityStatusCode.ConnectionError);
    assert.match(out.message ?? "", /signed out here/);
    assert.equal((await stored(ctx))?.tokens, undefined, "signed out locally all the same");
    client.close();
  });
});
