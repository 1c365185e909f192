import assert from "node:assert/strict";
import { test } from "node:test";
import { recordObservedCode } from "@tessera/codes/coverage";
import fc from "fast-check";
import { IdentityClient, type IdentityResult, IdentityStatusCode } from "../src/index.ts";

const observe = <T>(result: IdentityResult<T>, scenario: string): IdentityResult<T> => {
  recordObservedCode("identity", result.status, scenario);
  return result;
};

test("calls before init return IdentityClientNotInitialized; after init they work", () => {
  const client = new IdentityClient();
  assert.equal(
    observe(client.mode(), "call before init").status,
    IdentityStatusCode.IdentityClientNotInitialized,
  );
  const result = observe(
    client.init({ serverUrl: "http://127.0.0.1:8080", clientId: "desktop-app", mode: "batch" }),
    "init",
  );
  assert.equal(result.status, IdentityStatusCode.Success);
  assert.deepEqual(client.mode(), { status: IdentityStatusCode.Success, value: "batch" });
});

test("init refuses malformed options with Failed and says which", () => {
  const client = new IdentityClient();
  const bad = observe(client.init({ serverUrl: "not a url", clientId: "x", mode: "batch" }), "init bad url");
  assert.equal(bad.status, IdentityStatusCode.Failed);
  assert.match(bad.message ?? "", /serverUrl/);
  assert.match(
    client.init({ serverUrl: "ftp://h", clientId: "x", mode: "batch" }).message ?? "",
    /serverUrl/,
  );
  assert.match(
    client.init({ serverUrl: "http://h", clientId: "a b", mode: "batch" }).message ?? "",
    /clientId/,
  );
  assert.equal(client.initialized, false);
});

test("init never throws, whatever it is given", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (serverUrl, clientId, mode) => {
      const client = new IdentityClient();
      const { status } = client.init({ serverUrl, clientId, mode: mode as "batch" });
      assert.ok(status === IdentityStatusCode.Success || status === IdentityStatusCode.Failed);
      assert.equal(client.initialized, status === IdentityStatusCode.Success);
    }),
  );
});
