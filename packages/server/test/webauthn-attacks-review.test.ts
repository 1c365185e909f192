import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { type AttackTenant, assertRefused, WebAuthnFixtures } from "./helpers/webauthn-attack-setup.ts";

/**
 * Attacks from the review of the WebAuthn part (#15): the generic authenticator routes used on a
 * security key, which is bound to its user by the user handle the authenticator keeps.
 */
for (const backend of backends) {
  suite(`WebAuthn review attacks (${backend})`, () => {
    let s: TestServer;
    let f: WebAuthnFixtures;
    let a: AttackTenant;
    before(async () => {
      s = await startTestServer(backend);
      f = new WebAuthnFixtures(s);
      a = await f.tenant(["alice", "bob"]);
    });
    after(() => s.close());

    const key = (username: string) => {
      const found = a.keys[username];
      assert.ok(found !== undefined);
      return found;
    };
    const signsIn = async (username: string) => {
      const started = await f.options(a.apiKey, { username }, "webauthn review: options");
      return f.verify(
        a.apiKey,
        { ceremonyId: started.ceremonyId, response: f.sign(key(username), started.options) },
        "webauthn review: verify",
      );
    };

    test("a security key cannot be moved to another user or unassigned through /v1/authenticators; it stays its user's", async () => {
      const serial = key("alice").serial;
      const moved = await s.api("POST", `/v1/authenticators/${serial}/assign`, {
        apiKey: a.apiKey,
        body: { username: "bob", force: true },
        scenario: "webauthn review: assign a security key",
      });
      assertRefused(moved, 400, ApiReturnCode.OTPTypeInvalid);
      const unassigned = await s.api("POST", `/v1/authenticators/${serial}/unassign`, {
        apiKey: a.apiKey,
        scenario: "webauthn review: unassign a security key",
      });
      assertRefused(unassigned, 400, ApiReturnCode.OTPTypeInvalid);
      const shown = await s.api("GET", `/v1/authenticators/${serial}`, {
        apiKey: a.apiKey,
        scenario: "webauthn review: show",
      });
      assert.equal((shown.body.authenticator as { username: string }).username, "alice");
      const r = await signsIn("alice");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.username, "alice");
    });

    test("a deleted user's security keys go with them: no webauthn row without its credential is left in the tenant", async () => {
      const t = await f.tenant(["dave", "erin"]);
      const serial = t.keys.dave?.serial ?? "";
      const deleted = await s.api("DELETE", "/v1/users/dave", {
        apiKey: t.apiKey,
        scenario: "webauthn review: delete a user with a key",
      });
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      const shown = await s.api("GET", `/v1/authenticators/${serial}`, {
        apiKey: t.apiKey,
        scenario: "webauthn review: a deleted user's key",
      });
      assertRefused(shown, 404, ApiReturnCode.DeviceNotFound, "params.serial");
      const next = await s.api("POST", "/v1/authenticators/assign-next", {
        apiKey: t.apiKey,
        body: { username: "erin" },
        scenario: "webauthn review: the pool after deleting a user with a key",
      });
      assertRefused(next, 409, ApiReturnCode.NoDevicesAvailable);
    });
  });
}
