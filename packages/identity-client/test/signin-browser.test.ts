import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IdentityStatusCode } from "../src/index.ts";
import {
  observe,
  reportOf,
  type SignInFixture,
  signInClient,
  startSignInFixture,
  storedTokens,
  testBrowser,
} from "./helpers/signin-fixture.ts";

/**
 * Interactive sign-in through the system browser (RFC 8252 loopback redirect) against a real
 * server: Chromium as the browser through the BROWSER hook, and crafted redirects sent to the
 * helper's port by a "browser" that is really an attacker on the same machine.
 */
describe("identity client sign-in through the browser", () => {
  let f: SignInFixture;
  let n = 0;
  const reportPath = () => join(f.dir, `report-${++n}.json`);
  before(async () => {
    f = await startSignInFixture();
  });
  after(() => f.close());

  test("Chromium through the BROWSER hook signs in; the page is in the locale and holds no code", async () => {
    const report = reportPath();
    const storeDir = join(f.dir, "chromium-store");
    const client = await signInClient(f, { locale: "de", storeDir });
    const previous = process.env.BROWSER;
    process.env.BROWSER = testBrowser("chromium", report, f.username, f.password);
    try {
      const result = observe(await client.signIn(), "sign-in through Chromium");
      assert.equal(result.status, IdentityStatusCode.Success, result.message);
      assert.equal(result.value?.subject, f.userId);
      assert.equal(result.value?.tenant, f.tenantId);
      assert.ok((result.value?.accessTokenExpiresAt?.getTime() ?? 0) > Date.now());
    } finally {
      if (previous === undefined) delete process.env.BROWSER;
      else process.env.BROWSER = previous;
    }
    const seen = await reportOf(report);
    assert.equal(seen.error, undefined, seen.error);
    assert.equal(seen.result, "success");
    assert.equal(seen.lang, "de");
    assert.match(seen.html ?? "", /Sie sind angemeldet/);
    const code = new URL(seen.url ?? "").searchParams.get("code") ?? "";
    assert.ok(code.length > 10, "the browser was sent to the loopback redirect with a code");
    const state = new URL(seen.url ?? "").searchParams.get("state") ?? "";
    assert.ok(!(seen.html ?? "").includes(code), "the page does not show the code");
    assert.ok(state.length > 10 && !(seen.html ?? "").includes(state), "nor the state");
    const tokens = await storedTokens(f, storeDir);
    assert.ok(tokens?.accessToken, "the store holds the tokens");
    assert.ok(tokens?.refreshToken, "offline_access was asked with prompt=consent: a refresh token");
    const me = await fetch(`${f.app.issuer.href}/me`, {
      headers: { authorization: `Bearer ${tokens?.accessToken}` },
    });
    assert.equal(((await me.json()) as { sub: string }).sub, f.userId);
  });

  test("only the first redirect counts: a replay finds the port closed, and another sign-in refuses it", async () => {
    const first = reportPath();
    const client = await signInClient(f, { browser: testBrowser("http", first, f.username, f.password) });
    const signedIn = observe(await client.signIn(), "sign-in over HTTP");
    assert.equal(signedIn.status, IdentityStatusCode.Success, signedIn.message);
    const seen = await reportOf(first);
    assert.equal(seen.status, 200);
    assert.match(seen.html ?? "", /data-result="success"/);
    await assert.rejects(
      fetch(seen.callback ?? ""),
      /fetch failed/,
      "the listener closed after the redirect",
    );
    const second = reportPath();
    const replayed = await signInClient(f, { browser: testBrowser("craft", second, "replay", first) });
    const refused = observe(await replayed.signIn(), "sign-in: replayed redirect");
    assert.equal(refused.status, IdentityStatusCode.IdentityClientProcessCallFailed);
    assert.match(refused.message ?? "", /state/);
    assert.match((await reportOf(second)).html ?? "", /data-result="failure"/);
  });

  test("a burst of the same redirect: one is taken, the others find no one", async () => {
    const report = reportPath();
    const client = await signInClient(f, {
      browser: testBrowser("http-burst", report, f.username, f.password),
    });
    const result = observe(await client.signIn(), "sign-in: burst of redirects");
    assert.equal(result.status, IdentityStatusCode.Success, result.message);
    const seen = await reportOf(report);
    const statuses = JSON.parse(seen.statuses ?? "[]") as (number | string)[];
    assert.equal(statuses.length, 10);
    assert.equal(statuses.filter((status) => status === "success").length, 1, String(seen.statuses));
  });

  const crafted: [kind: string, status: IdentityStatusCode, message: RegExp][] = [
    ["wrong-state", IdentityStatusCode.IdentityClientProcessCallFailed, /state/],
    ["missing-code", IdentityStatusCode.IdentityClientProcessCallFailed, /code/],
    ["wrong-iss", IdentityStatusCode.IdentityClientProcessCallFailed, /issuer/],
    ["post", IdentityStatusCode.IdentityClientProcessCallFailed, /GET/],
    ["garbage", IdentityStatusCode.IdentityClientProcessCallFailed, /state/],
    ["cancel", IdentityStatusCode.Failed, /cancelled/],
  ];
  for (const [kind, status, message] of crafted)
    test(`a crafted redirect (${kind}) ends the sign-in with code ${status} and stores nothing`, async () => {
      const report = reportPath();
      const storeDir = join(f.dir, `store-${kind}`);
      const client = await signInClient(f, { storeDir, browser: testBrowser("craft", report, kind) });
      const result = observe(await client.signIn(), `sign-in: crafted redirect ${kind}`);
      assert.equal(result.status, status, result.message);
      assert.match(result.message ?? "", message);
      const seen = await reportOf(report);
      assert.equal(seen.stray, 404, "a request elsewhere on the port decides nothing");
      assert.match(seen.html ?? "", kind === "cancel" ? /data-result="cancelled"/ : /data-result="failure"/);
      assert.equal(await storedTokens(f, storeDir), undefined);
    });

  test("a helper that cannot start is IdentityClientProcessCreationFailed", async () => {
    const missing = await signInClient(f, { helperExecPath: join(f.dir, "no-such-node") });
    const result = observe(await missing.signIn(), "sign-in: helper executable missing");
    assert.equal(result.status, IdentityStatusCode.IdentityClientProcessCreationFailed);
    assert.match(result.message ?? "", /ENOENT/);
    // An executable that is no Node: it exits before it listens.
    const notNode = await signInClient(f, { helperExecPath: "/bin/true" });
    const quit = observe(await notNode.signIn(), "sign-in: helper exits at once");
    assert.equal(quit.status, IdentityStatusCode.IdentityClientProcessCreationFailed);
  });

  test("a helper killed while waiting is IdentityClientProcessCallFailed", async () => {
    // Run without a shell by the helper, so sh's parent is the helper itself.
    const client = await signInClient(f, { browser: `sh -c "kill -9 $PPID"` });
    const result = observe(await client.signIn(), "sign-in: helper killed");
    assert.equal(result.status, IdentityStatusCode.IdentityClientProcessCallFailed);
    assert.match(result.message ?? "", /SIGKILL/);
  });

  test("a redirect in time whose redemption outlasts the sign-in timeout: the answer is the redemption's, never TimeOut with a sign-in saved behind it", async () => {
    const report = reportPath();
    const timeoutMs = 8000;
    let started = 0;
    // The program's own fetch (the `fetch` option) holds the token endpoint's answer until the
    // sign-in timeout has certainly passed: a redemption racing the timeout answered TimeOut here
    // and saved the sign-in afterwards, behind the program's back.
    const slowTokenEndpoint: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.endsWith("/token"))
        await new Promise((resolve) => setTimeout(resolve, started + timeoutMs + 500 - Date.now()));
      return fetch(input, init);
    };
    const client = await signInClient(f, {
      browser: testBrowser("http", report, f.username, f.password),
      fetch: slowTokenEndpoint,
      timeoutMs: 20_000,
    });
    started = Date.now();
    const result = observe(await client.signIn({ timeoutMs }), "sign-in: a slow redemption");
    assert.equal(result.status, IdentityStatusCode.Success, result.message);
    assert.equal(
      (await client.getAccessToken()).status,
      IdentityStatusCode.Success,
      "the answer and the store agree",
    );
  });

  test("no redirect within the sign-in timeout is TimeOut; a bad timeout is refused by name", async () => {
    const client = await signInClient(f, { browser: "true" });
    const result = observe(await client.signIn({ timeoutMs: 1500 }), "sign-in: nobody signs in");
    assert.equal(result.status, IdentityStatusCode.TimeOut);
    for (const timeoutMs of [-1, 0, 999, 1500.5, 2 ** 31, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      const bad = observe(await client.signIn({ timeoutMs }), "sign-in: bad timeout");
      assert.equal(bad.status, IdentityStatusCode.Failed);
      assert.match(bad.message ?? "", /timeoutMs/);
    }
  });
});
