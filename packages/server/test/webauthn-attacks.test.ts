import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import {
  CEREMONY_TTL_MS,
  createCeremony,
  newChallenge,
} from "../src/authenticators/webauthn/ceremony-store.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { type AttackTenant, assertRefused, WebAuthnFixtures } from "./helpers/webauthn-attack-setup.ts";

/**
 * Attacks on the WebAuthn API as a whole: ids of another tenant (ceremony ids, usernames,
 * credential ids, serials), replayed and reordered ceremonies, and bursts on single-use things.
 * Extremes and random bodies are in webauthn-inputs.property.test.ts.
 */
for (const backend of backends) {
  suite(`WebAuthn attacks (${backend})`, () => {
    let s: TestServer;
    let f: WebAuthnFixtures;
    let a: AttackTenant;
    let b: AttackTenant;
    before(async () => {
      s = await startTestServer(backend);
      f = new WebAuthnFixtures(s);
      a = await f.tenant(["alice", "bob"]);
      b = await f.tenant(["carol"]);
    });
    after(() => s.close());

    const key = (t: AttackTenant, username: string) => {
      const found = t.keys[username];
      assert.ok(found !== undefined);
      return found;
    };

    test("a ceremony id of another tenant is InvalidSessionIdData, and stays usable in its own tenant", async () => {
      const theirs = await f.options(b.apiKey, { username: "carol" });
      const response = f.sign(key(b, "carol"), theirs.options);
      assertRefused(
        await f.verify(a.apiKey, { ceremonyId: theirs.ceremonyId, response }),
        400,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
        "body.ceremonyId",
      );
      const r = await f.verify(b.apiKey, { ceremonyId: theirs.ceremonyId, response });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.username, "carol");
    });

    test("a username of another tenant is unknown: options and import refuse it", async () => {
      const options = await s.api("POST", "/v1/webauthn/authentication/options", {
        apiKey: a.apiKey,
        body: { username: "carol" },
        scenario: "webauthn attacks: options",
      });
      assertRefused(options, 404, ApiReturnCode.InvalidPartnerUserLogin, "body.username");
      const other = key(b, "carol");
      const imported = await s.api("POST", "/v1/webauthn/u2f-keys", {
        apiKey: a.apiKey,
        body: {
          username: "carol",
          keyHandle: other.keyHandle,
          publicKey: other.publicKey,
          appId: "https://id.example.com/u2f/app-id.json",
          version: "U2F_V2",
        },
        scenario: "webauthn attacks: import",
      });
      assertRefused(imported, 404, ApiReturnCode.InvalidPartnerUserLogin, "body.username");
    });

    test("a credential id of another tenant is BogusUniqueDeviceId, for a user's and a discoverable ceremony", async () => {
      for (const body of [{ username: "alice" }, {}]) {
        const mine = await f.options(a.apiKey, body);
        const response = f.sign(key(b, "carol"), mine.options);
        assertRefused(
          await f.verify(a.apiKey, { ceremonyId: mine.ceremonyId, response }),
          400,
          ApiReturnCode.BogusUniqueDeviceId,
          "body.response.id",
        );
      }
    });

    test("a serial of another tenant's security key names nothing here, and the key stays", async () => {
      const serial = key(b, "carol").serial;
      for (const [method, path] of [
        ["GET", `/v1/authenticators/${serial}`],
        ["POST", `/v1/authenticators/${serial}/disable`],
        ["DELETE", `/v1/authenticators/${serial}`],
      ] as const) {
        const r = await s.api(method, path, { apiKey: a.apiKey, scenario: "webauthn attacks: serial" });
        assert.ok(r.status === 404, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
      }
      const theirs = await f.options(b.apiKey, { username: "carol" });
      const r = await f.verify(b.apiKey, {
        ceremonyId: theirs.ceremonyId,
        response: f.sign(key(b, "carol"), theirs.options),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });

    test("options for alice verified with bob's key is BogusUniqueDeviceId, and the ceremony is spent", async () => {
      const forAlice = await f.options(a.apiKey, { username: "alice" });
      const response = f.sign(key(a, "bob"), forAlice.options);
      assertRefused(
        await f.verify(a.apiKey, { ceremonyId: forAlice.ceremonyId, response }),
        400,
        ApiReturnCode.BogusUniqueDeviceId,
      );
      const hers = f.sign(key(a, "alice"), forAlice.options);
      assertRefused(
        await f.verify(a.apiKey, { ceremonyId: forAlice.ceremonyId, response: hers }),
        400,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
    });

    test("a registration ceremony id used for authentication is InvalidSessionIdData", async () => {
      const user = await s.server.ctx.database.db
        .selectFrom("users")
        .select("id")
        .where("tenant_id", "=", a.tenantId)
        .where("username", "=", "alice")
        .executeTakeFirstOrThrow();
      const challenge = newChallenge();
      const registration = await createCeremony(s.server.ctx, {
        tenant_id: a.tenantId,
        user_id: user.id,
        kind: "registration",
        challenge,
        rp_id: new URL(s.server.ctx.publicUrl).hostname,
        origins: JSON.stringify([f.origin]),
        user_verification: "preferred",
        app_client_id: null,
      });
      const response = f.sign(key(a, "alice"), { challenge, allowCredentials: [] });
      assertRefused(
        await f.verify(a.apiKey, { ceremonyId: registration.ceremonyId, response }),
        400,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
        "body.ceremonyId",
      );
    });

    test("verify before options: an id never issued, or not an id at all, is InvalidSessionIdData", async () => {
      const response = f.sign(key(a, "alice"), { challenge: newChallenge(), allowCredentials: [] });
      for (const ceremonyId of ["A".repeat(43), "", "x", "../../etc/passwd", "A".repeat(64)])
        assertRefused(
          await f.verify(a.apiKey, { ceremonyId, response }),
          400,
          ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
          "body.ceremonyId",
        );
    });

    test("an accepted assertion replayed: in its ceremony InvalidSessionIdData, in a new one InvalidChallenge", async () => {
      const first = await f.options(a.apiKey, { username: "alice" });
      const response = f.sign(key(a, "alice"), first.options);
      assert.equal((await f.verify(a.apiKey, { ceremonyId: first.ceremonyId, response })).status, 200);
      assertRefused(
        await f.verify(a.apiKey, { ceremonyId: first.ceremonyId, response }),
        400,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
      const second = await f.options(a.apiKey, { username: "alice" });
      assertRefused(
        await f.verify(a.apiKey, { ceremonyId: second.ceremonyId, response }),
        401,
        ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
      );
    });

    test("a ceremony past its 5 minutes is InvalidSessionIdData", async () => {
      const started = await f.options(a.apiKey, { username: "alice" });
      s.clock.advance(CEREMONY_TTL_MS + 1);
      assertRefused(
        await f.verify(a.apiKey, {
          ceremonyId: started.ceremonyId,
          response: f.sign(key(a, "alice"), started.options),
        }),
        400,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
    });

    test("a burst of 10 verifications of one assertion: exactly one signs in", async () => {
      const started = await f.options(a.apiKey, { username: "bob" });
      const response = f.sign(key(a, "bob"), started.options);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          f.verify(a.apiKey, { ceremonyId: started.ceremonyId, response }, "webauthn attacks: burst"),
        ),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1);
      for (const r of results.filter((r) => r.status !== 200))
        assertRefused(r, 400, ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData);
    });

    test("the WebAuthn routes need an API key: without one, PartnerLoginFailed", async () => {
      const r = await s.api("POST", "/v1/webauthn/authentication/options", {
        body: { username: "alice" },
        scenario: "webauthn attacks: no key",
      });
      assertRefused(r, 401, ApiReturnCode.PartnerLoginFailed);
    });
  });
}
