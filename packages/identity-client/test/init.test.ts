import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { IdentityClient, IdentityStatusCode } from "../src/index.ts";
import { observe } from "./helpers/observe.ts";

test("calls before init return IdentityClientNotInitialized", async () => {
  const client = new IdentityClient();
  assert.equal(
    observe(client.mode(), "call before init").status,
    IdentityStatusCode.IdentityClientNotInitialized,
  );
  assert.equal(
    observe(await client.getAccessToken(), "token before init").status,
    IdentityStatusCode.IdentityClientNotInitialized,
  );
});

test("init refuses malformed options with Failed and says which", async () => {
  const client = new IdentityClient();
  const bad = observe(
    await client.init({ issuer: "not a url", clientId: "x", mode: "batch" }),
    "init bad url",
  );
  assert.equal(bad.status, IdentityStatusCode.Failed);
  assert.match(bad.message ?? "", /issuer/);
  assert.match(
    (await client.init({ issuer: "ftp://h", clientId: "x", mode: "batch" })).message ?? "",
    /issuer/,
  );
  assert.match(
    (await client.init({ issuer: "http://example.com", clientId: "x", mode: "batch" })).message ?? "",
    /issuer/,
  );
  assert.match(
    (await client.init({ issuer: "http://127.0.0.1", clientId: "a b", mode: "batch" })).message ?? "",
    /clientId/,
  );
  assert.equal(client.initialized, false);
});

test("init never throws and never initialises on malformed options", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string(), fc.string(), fc.string(), async (issuer, clientId, mode) => {
      const client = new IdentityClient();
      const { status } = await client.init({ issuer, clientId, mode: mode as "batch" });
      assert.equal(status, IdentityStatusCode.Failed);
      assert.equal(client.initialized, false);
    }),
    { numRuns: 200 },
  );
});
