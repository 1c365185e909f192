import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { userHandleFor } from "../src/authenticators/webauthn/assertion-verify.ts";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { insertAppRow } from "./helpers/sso-app-row.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { assertRefused } from "./helpers/webauthn-attack-setup.ts";
import {
  register,
  startRegistration,
  verify as verifyRegistration,
} from "./helpers/webauthn-registration.ts";

/**
 * Attacks across the registration and authentication parts with keys registered through the API:
 * a ceremony of one kind spent as the other, passkeys presented in another tenant or as another
 * user, and key serials and usernames of another tenant on the key routes.
 */
for (const backend of backends) {
  suite(`WebAuthn attacks across registration and sign-in (${backend})`, () => {
    let s: TestServer;
    let origin = "";
    before(async () => {
      s = await startTestServer(backend);
      origin = new URL(s.url).origin;
    });
    after(() => s.close());

    /** A tenant with users, each with a passkey registered through the API (its serial and authenticator). */
    const tenantWithPasskeys = async (usernames: readonly string[]) => {
      const { apiKey, tenant } = await s.tenant();
      const keys: Record<string, { serial: string; soft: SoftAuthenticator }> = {};
      for (const username of usernames) {
        await s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "webauthn attacks: setup" });
        const soft = new SoftAuthenticator();
        const r = await register(
          s,
          apiKey,
          username,
          { authenticator: soft, body: { residentKey: "required" } },
          "webauthn attacks: setup",
        );
        assert.equal(r.status, 201, JSON.stringify(r.body));
        keys[username] = { serial: String((r.body.key as { serial: string }).serial), soft };
      }
      return { apiKey, tenant, keys };
    };
    const passkey = (t: Awaited<ReturnType<typeof tenantWithPasskeys>>, username: string) => {
      const key = t.keys[username];
      assert.ok(key !== undefined);
      return key;
    };
    const signInOptions = async (apiKey: string, body: Record<string, unknown>) => {
      const r = await s.api("POST", "/v1/webauthn/authentication/options", {
        apiKey,
        body,
        scenario: "webauthn attacks: options",
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { ceremonyId: String(r.body.ceremonyId), options: r.body.options as Record<string, unknown> };
    };
    const signIn = (apiKey: string, body: unknown) =>
      s.api("POST", "/v1/webauthn/authentication/verify", {
        apiKey,
        body,
        scenario: "webauthn attacks: verify",
      });

    test("a registration ceremony id spent for sign-in, and a sign-in ceremony id for registration: InvalidSessionIdData", async () => {
      const a = await tenantWithPasskeys(["alice"]);
      const registration = await startRegistration(
        s,
        a.apiKey,
        { username: "alice" },
        "webauthn attacks: options",
      );
      const assertion = passkey(a, "alice").soft.get(registration.options, { origin });
      assertRefused(
        await signIn(a.apiKey, { ceremonyId: registration.ceremonyId, response: assertion }),
        400,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
        "body.ceremonyId",
      );
      const signInCeremony = await signInOptions(a.apiKey, { username: "alice" });
      const created = new SoftAuthenticator().create(
        { ...signInCeremony.options, rp: { id: signInCeremony.options.rpId }, user: { id: "AAAA" } },
        { origin },
      );
      assertRefused(
        await verifyRegistration(
          s,
          a.apiKey,
          { ceremonyId: signInCeremony.ceremonyId, response: created },
          "webauthn attacks: verify",
        ),
        400,
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
    });

    test("a passkey of another tenant in a discoverable sign-in is BogusUniqueDeviceId", async () => {
      const a = await tenantWithPasskeys(["alice"]);
      const b = await tenantWithPasskeys(["alice"]);
      const started = await signInOptions(a.apiKey, {});
      const response = passkey(b, "alice").soft.get(started.options, { origin });
      assertRefused(
        await signIn(a.apiKey, { ceremonyId: started.ceremonyId, response }),
        400,
        ApiReturnCode.BogusUniqueDeviceId,
        "body.response.id",
      );
    });

    test("alice's passkey presenting bob's user handle is BogusUniqueDeviceId, not a sign-in as bob", async () => {
      const a = await tenantWithPasskeys(["alice", "bob"]);
      const bob = await s.server.ctx.database.db
        .selectFrom("users")
        .select("id")
        .where("tenant_id", "=", a.tenant.id)
        .where("username", "=", "bob")
        .executeTakeFirstOrThrow();
      const started = await signInOptions(a.apiKey, {});
      const response = passkey(a, "alice").soft.get(started.options, {
        origin,
        tamper: {
          response: (json) => ({
            ...json,
            response: { ...(json.response as object), userHandle: userHandleFor(bob.id) },
          }),
        },
      });
      assertRefused(
        await signIn(a.apiKey, { ceremonyId: started.ceremonyId, response }),
        400,
        ApiReturnCode.BogusUniqueDeviceId,
      );
    });

    test("two sign-in ceremonies answered crosswise: InvalidChallenge", async () => {
      const a = await tenantWithPasskeys(["alice"]);
      const first = await signInOptions(a.apiKey, { username: "alice" });
      const second = await signInOptions(a.apiKey, { username: "alice" });
      const forSecond = passkey(a, "alice").soft.get(second.options, { origin });
      assertRefused(
        await signIn(a.apiKey, { ceremonyId: first.ceremonyId, response: forSecond }),
        401,
        ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
      );
    });

    test("an SSO app of another tenant is NotFound for registration and sign-in options alike", async () => {
      const a = await tenantWithPasskeys(["alice"]);
      const b = await tenantWithPasskeys([]);
      const clientId = `app-${b.tenant.id.slice(0, 8)}`;
      await insertAppRow(s.server.ctx, b.tenant.id, clientId);
      for (const path of ["/v1/webauthn/registration/options", "/v1/webauthn/authentication/options"]) {
        const r = await s.api("POST", path, {
          apiKey: a.apiKey,
          body: { username: "alice", clientId },
          scenario: "webauthn attacks: app of another tenant",
        });
        assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.field, "body.clientId", JSON.stringify(r.body));
        // In its own tenant the app is found (the refusal, if any, is about something else).
        const theirs = await s.api("POST", path, {
          apiKey: b.apiKey,
          body: { clientId },
          scenario: "webauthn attacks: app of another tenant",
        });
        assert.notEqual(theirs.body.field, "body.clientId", JSON.stringify(theirs.body));
      }
    });

    test("serials and usernames of another tenant on the key routes name nothing; the key stays usable", async () => {
      const a = await tenantWithPasskeys(["alice"]);
      const b = await tenantWithPasskeys(["carol"]);
      const serial = passkey(b, "carol").serial;
      const renamed = await s.api("PATCH", `/v1/webauthn/keys/${serial}`, {
        apiKey: a.apiKey,
        body: { name: "mine now" },
        scenario: "webauthn attacks: serial",
      });
      assertRefused(renamed, 404, ApiReturnCode.DeviceNotFound, "params.serial");
      const deleted = await s.api("DELETE", `/v1/webauthn/keys/${serial}`, {
        apiKey: a.apiKey,
        scenario: "webauthn attacks: serial",
      });
      assert.equal(
        deleted.body.errorCode,
        ApiReturnCode.PartnerUserFIDOU2FDeleteSecurityKeyFailed,
        JSON.stringify(deleted.body),
      );
      const listed = await s.api("GET", "/v1/users/carol/webauthn-keys", {
        apiKey: a.apiKey,
        scenario: "webauthn attacks: username",
      });
      assertRefused(listed, 404, ApiReturnCode.InvalidPartnerUserLogin, "params.username");
      const registration = await s.api("POST", "/v1/webauthn/registration/options", {
        apiKey: a.apiKey,
        body: { username: "carol" },
        scenario: "webauthn attacks: username",
      });
      assertRefused(registration, 404, ApiReturnCode.InvalidPartnerUserLogin, "body.username");
      const theirs = await s.api("GET", "/v1/users/carol/webauthn-keys", {
        apiKey: b.apiKey,
        scenario: "webauthn attacks: username",
      });
      const keys = theirs.body.keys as { serial: string; name: string }[];
      assert.deepEqual(
        keys.map((k) => k.serial),
        [serial],
      );
      assert.notEqual(keys[0]?.name, "mine now");
      const started = await signInOptions(b.apiKey, { username: "carol" });
      const r = await signIn(b.apiKey, {
        ceremonyId: started.ceremonyId,
        response: passkey(b, "carol").soft.get(started.options, { origin }),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });
  });
}
