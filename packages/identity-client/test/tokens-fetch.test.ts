import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import type { ClientContext } from "../src/client-context.ts";
import { IdentityStatusCode } from "../src/index.ts";
import {
  newStoreDir,
  observe,
  programClient,
  programContext,
  refreshCount,
  signInInto,
  stored,
  tokensFixtureForSuite,
} from "./helpers/tokens-fixture.ts";
import { closedPortUrl, type ResourceServer, startResourceServer } from "./helpers/tokens-resource-server.ts";

suite("tokens: fetch with the access token", () => {
  const fx = tokensFixtureForSuite();
  let rs: ResourceServer;
  let ctx: ClientContext;
  let storeDir = "";
  before(async () => {
    storeDir = await newStoreDir();
    ctx = await programContext(fx, storeDir);
    if (ctx.server === undefined) throw new Error("no server");
    rs = await startResourceServer(ctx.server);
  });
  after(() => rs.close());

  const reset = async () => {
    rs.seen.length = 0;
    rs.reject.clear();
    rs.rejectAll = false;
    return signInInto(fx, ctx);
  };

  test("fetch sends the access token, the method and the caller's headers; the resource server finds it active", async () => {
    const signedIn = await reset();
    const client = await programClient(fx, storeDir);
    const answer = observe(
      await client.fetch(rs.url, { method: "POST", headers: { "x-echo": "kept" }, body: "{}" }),
      "tokens: authorised fetch",
    );
    assert.equal(answer.status, IdentityStatusCode.Success);
    assert.equal(answer.value?.status, 200);
    assert.deepEqual(await answer.value?.json(), { sub: fx.user.id, method: "POST", echo: "kept" });
    assert.deepEqual(rs.seen, [signedIn.tokens?.accessToken]);
    client.close();
  });

  test("a 401 renews the token once and retries once", async () => {
    const signedIn = await reset();
    const first = signedIn.tokens?.accessToken ?? "";
    rs.reject.add(first);
    const before = await refreshCount(fx, "tokens: fetch 401");
    const client = await programClient(fx, storeDir);
    const answer = observe(await client.fetch(rs.url), "tokens: fetch renews after a 401");
    assert.equal(answer.status, IdentityStatusCode.Success);
    assert.equal(answer.value?.status, 200);
    const renewed = (await stored(ctx))?.tokens?.accessToken;
    assert.notEqual(renewed, first);
    assert.deepEqual(rs.seen, [first, renewed]);
    assert.equal((await refreshCount(fx, "tokens: fetch 401")) - before, 1);
    client.close();
  });

  test("ten calls refused at once renew the token once", async () => {
    const signedIn = await reset();
    rs.reject.add(signedIn.tokens?.accessToken ?? "");
    const before = await refreshCount(fx, "tokens: fetch 401 burst");
    const client = await programClient(fx, storeDir);
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.fetch(rs.url)));
    assert.deepEqual(
      answers.map((a) => [a.status, a.value?.status]),
      answers.map(() => [IdentityStatusCode.Success, 200]),
    );
    assert.equal((await refreshCount(fx, "tokens: fetch 401 burst")) - before, 1);
    client.close();
  });

  test("a second 401 is the answer: one retry, no more", async () => {
    await reset();
    rs.rejectAll = true;
    const before = await refreshCount(fx, "tokens: fetch 401 twice");
    const client = await programClient(fx, storeDir);
    const answer = await client.fetch(rs.url);
    assert.equal(answer.status, IdentityStatusCode.Success);
    assert.equal(answer.value?.status, 401);
    assert.equal(rs.seen.length, 2);
    assert.equal((await refreshCount(fx, "tokens: fetch 401 twice")) - before, 1);
    client.close();
  });

  test("a resource server that cannot be reached is ConnectionError; one that does not answer is TimeOut", async () => {
    await reset();
    const client = await programClient(fx, storeDir);
    const refused = observe(await client.fetch(await closedPortUrl()), "tokens: fetch to a closed port");
    assert.equal(refused.status, IdentityStatusCode.ConnectionError);
    assert.equal(refused.value, undefined);
    client.close();
    // A short timeout for this client only, so that the test does not wait the default 10 s.
    const impatient = new (await import("../src/index.ts")).IdentityClient();
    await impatient.init({
      issuer: fx.issuer,
      clientId: fx.app.clientId,
      mode: "interactive",
      storeDir,
      timeoutMs: 1000,
    });
    rs.hang = true;
    const hung = observe(await impatient.fetch(rs.url), "tokens: fetch without an answer");
    rs.hang = false;
    assert.equal(hung.status, IdentityStatusCode.TimeOut);
    impatient.close();
  });

  test("nobody signed in: AuthDataEmpty, and nothing is sent", async () => {
    rs.seen.length = 0;
    const client = await programClient(fx, await newStoreDir());
    const answer = observe(await client.fetch(rs.url), "tokens: fetch with nobody signed in");
    assert.equal(answer.status, IdentityStatusCode.AuthDataEmpty);
    assert.deepEqual(rs.seen, []);
    client.close();
  });
});
