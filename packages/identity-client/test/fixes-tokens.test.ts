import assert from "node:assert/strict";
import { before, describe as suite, test } from "node:test";
import { TOKEN_EXCHANGE_GRANT_TYPE } from "../../server/src/sso/apps/app.ts";
import { createTestApp, type TestApp } from "../../server/test/helpers/sso-grant-fixtures.ts";
import { IdentityClient, IdentityStatusCode } from "../src/index.ts";
import {
  newStoreDir,
  observe,
  refreshCount,
  signedInProgram,
  stored,
  tokensFixtureForSuite,
} from "./helpers/tokens-fixture.ts";

const hour = 3_600_000;

/**
 * Review follow-ups on the tokens part, against a real in-process server: registerClientId asks
 * the server through the program's `fetch` option like every other request, and a clock set back
 * below a time already seen does not make a stored access token count as valid.
 */
suite("fixes: client ids through the host fetch, access tokens on a rolled-back clock", () => {
  const fx = tokensFixtureForSuite([TOKEN_EXCHANGE_GRANT_TYPE]);
  let reports: TestApp;
  before(async () => {
    reports = await createTestApp(fx.s, fx.tenantId, { scopes: "openid profile email" });
  });

  const clientOn = async (storeDir: string, extra: { now?: () => number; fetch?: typeof fetch } = {}) => {
    const client = new IdentityClient(extra.now === undefined ? {} : { now: extra.now });
    const init = await client.init({
      issuer: fx.issuer,
      clientId: fx.app.clientId,
      mode: "interactive",
      storeDir,
      ...(extra.fetch === undefined ? {} : { fetch: extra.fetch }),
    });
    assert.equal(observe(init, "fixes: init").status, IdentityStatusCode.Success, init.message);
    return client;
  };

  test("registerClientId asks the client information endpoint through the fetch option", async () => {
    const seen: string[] = [];
    let cut = false;
    const hostFetch: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      seen.push(new URL(url).pathname);
      // A network failure (the Fetch standard's TypeError) once the test cuts the line.
      if (cut) return Promise.reject(new TypeError("fetch failed"));
      return fetch(input, init);
    };
    const client = await clientOn(await newStoreDir(), { fetch: hostFetch });
    const unknown = observe(
      await client.registerClientId("app-nobody-knows"),
      "fixes: register an unknown client id through the host fetch",
    );
    assert.equal(unknown.status, IdentityStatusCode.ClientIdNotRegistered, unknown.message);
    assert.ok(
      seen.some((path) => path.endsWith("/clients/app-nobody-knows")),
      seen.join(" "),
    );
    const known = observe(
      await client.registerClientId(reports.clientId),
      "fixes: register a known client id through the host fetch",
    );
    assert.equal(known.status, IdentityStatusCode.Success, known.message);
    assert.ok(seen.some((path) => path.endsWith(`/clients/${reports.clientId}`)));
    // The server cannot be asked: the registration is kept (the exchange answers distinctly later).
    cut = true;
    const unasked = observe(
      await client.registerClientId("app-asked-offline"),
      "fixes: register while the server cannot be asked",
    );
    assert.equal(unasked.status, IdentityStatusCode.Success, unasked.message);
    assert.ok(seen.some((path) => path.endsWith("/clients/app-asked-offline")));
    client.close();
  });

  test("a clock set back below the last time seen: getAccessToken renews at the server (once for a burst), exchanged tokens too", async () => {
    const { storeDir, ctx, signedIn } = await signedInProgram(fx);
    const plain = await clientOn(storeDir);
    assert.equal((await plain.registerClientId(reports.clientId)).status, IdentityStatusCode.Success);
    const exchanged = await plain.getAccessToken(reports.clientId);
    assert.equal(exchanged.status, IdentityStatusCode.Success, exchanged.message);
    plain.close();

    // Two hours behind every time the store has seen: the stored token looks valid by this clock.
    const back = () => Date.now() - 2 * hour;
    const before = await refreshCount(fx, "fixes: rollback");
    const burst = await Promise.all(Array.from({ length: 4 }, () => clientOn(storeDir, { now: back })));
    const answers = await Promise.all(burst.map((client) => client.getAccessToken()));
    for (const answer of answers) observe(answer, "fixes: getAccessToken on a rolled-back clock, online");
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => IdentityStatusCode.Success),
    );
    const tokens = new Set(answers.map((a) => a.value));
    assert.equal(tokens.size, 1, "one renewed token for the burst");
    assert.notEqual([...tokens][0], signedIn.tokens?.accessToken, "not the token the clock vouched for");
    assert.equal((await refreshCount(fx, "fixes: rollback")) - before, 1, "renewed once at the server");

    const [first] = burst;
    assert.ok(first);
    const other = observe(
      await first.getAccessToken(reports.clientId),
      "fixes: exchanged token on a rolled-back clock",
    );
    assert.equal(other.status, IdentityStatusCode.Success, other.message);
    assert.notEqual(other.value, exchanged.value, "exchanged anew, not the cached one");
    assert.equal((await stored(ctx))?.clientTokens?.[reports.clientId]?.accessToken, other.value);
    for (const client of burst) client.close();
  });

  // Last: it stops the suite's server.
  test("a clock set back, the server stopped: getAccessToken and fetch are SignInRequired, not the stored token", async () => {
    const { storeDir } = await signedInProgram(fx);
    const client = await clientOn(storeDir, { now: () => Date.now() - 2 * hour });
    const resource = new URL("/v1/me", fx.s.url);
    await fx.s.close();
    const token = observe(
      await client.getAccessToken(),
      "fixes: getAccessToken on a rolled-back clock, offline",
    );
    assert.equal(token.status, IdentityStatusCode.SignInRequired, token.message);
    assert.equal(token.value, undefined);
    assert.match(token.message ?? "", /rolled back/);
    const fetched = observe(await client.fetch(resource), "fixes: fetch on a rolled-back clock, offline");
    assert.equal(fetched.status, IdentityStatusCode.SignInRequired, fetched.message);
    client.close();
  });
});
