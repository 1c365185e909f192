import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { register, startRegistration, verify } from "./helpers/webauthn-registration.ts";

const deleteFailed = ApiReturnCode.PartnerUserFIDOU2FDeleteSecurityKeyFailed;

for (const backend of backends) {
  suite(`WebAuthn keys, relying-party settings and the ceremony sweep (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const setup = async (settings = {}) => {
      const { apiKey, tenant } = await s.tenant(undefined, settings);
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice" },
        scenario: "webauthn keys: setup",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { apiKey, tenant };
    };
    const registered = async (apiKey: string, username = "alice") => {
      const done = await register(s, apiKey, username, {}, "webauthn keys: register");
      assert.equal(done.status, 201, JSON.stringify(done.body));
      return String((done.body.key as { serial: string }).serial);
    };
    const remove = (apiKey: string, serial: string, scenario = "webauthn keys: delete") =>
      s.api("DELETE", `/v1/webauthn/keys/${serial}`, { apiKey, scenario });

    test("rename: the new name is listed; an unknown serial or another tenant's is DeviceNotFound", async () => {
      const { apiKey } = await setup();
      const other = await setup();
      const serial = await registered(apiKey);
      const renamed = await s.api("PATCH", `/v1/webauthn/keys/${serial}`, {
        apiKey,
        body: { name: "Backup key" },
        scenario: "webauthn keys: rename",
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal((renamed.body.key as { name: string }).name, "Backup key");
      const listed = await s.api("GET", "/v1/users/alice/webauthn-keys", {
        apiKey,
        scenario: "webauthn keys: list",
      });
      assert.deepEqual(
        (listed.body.keys as { name: string }[]).map((k) => k.name),
        ["Backup key"],
      );
      for (const [key, path, scenario] of [
        [apiKey, "/v1/webauthn/keys/WEBAUTHN0000000000", "webauthn keys: rename unknown"],
        [other.apiKey, `/v1/webauthn/keys/${serial}`, "webauthn keys: rename other tenant's"],
      ] as const) {
        const r = await s.api("PATCH", path, { apiKey: key, body: { name: "x" }, scenario });
        assert.equal(r.body.errorCode, ApiReturnCode.DeviceNotFound, JSON.stringify(r.body));
      }
      const control = await s.api("PATCH", `/v1/webauthn/keys/${serial}`, {
        apiKey,
        body: { name: "a\u0000b" },
        scenario: "webauthn keys: rename control character",
      });
      assert.equal(control.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(control.body.field, "body.name");
    });

    test("another tenant's user is not listed: InvalidPartnerUserLogin as for an unknown user", async () => {
      const { apiKey } = await setup();
      await registered(apiKey);
      const other = await s.tenant();
      const r = await s.api("GET", "/v1/users/alice/webauthn-keys", {
        apiKey: other.apiKey,
        scenario: "webauthn keys: other tenant's user",
      });
      assert.equal(r.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
    });

    test("delete: unknown, another tenant's and a TOTP serial are DeleteSecurityKeyFailed; the key and its rows go", async () => {
      const { apiKey, tenant } = await setup({ ssoSecondFactor: "optional" });
      const other = await setup();
      const serial = await registered(apiKey);
      const totp = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "totp" },
        scenario: "webauthn keys: setup",
      });
      assert.equal(totp.status, 201, JSON.stringify(totp.body));
      const totpSerial = String((totp.body.authenticator as { serial: string }).serial);
      for (const [key, target, scenario] of [
        [apiKey, "WEBAUTHN0000000000", "webauthn keys: delete unknown"],
        [other.apiKey, serial, "webauthn keys: delete other tenant's"],
        [apiKey, totpSerial, "webauthn keys: delete a totp serial"],
      ] as const) {
        const r = await remove(key, target, scenario);
        assert.equal(r.body.errorCode, deleteFailed, JSON.stringify(r.body));
      }
      const done = await remove(apiKey, serial);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const left = await s.server.ctx.database.db
        .selectFrom("webauthn_credentials")
        .select("authenticator_id")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.deepEqual(left, []);
      assert.equal(
        (await remove(apiKey, serial, "webauthn keys: delete again")).body.errorCode,
        deleteFailed,
      );
    });

    test("the last second factor of a user whom the tenant requires to have one is not deleted; with another it is", async () => {
      const { apiKey } = await setup({ ssoSecondFactor: "required" });
      const first = await registered(apiKey);
      const last = await remove(apiKey, first, "webauthn keys: delete last factor");
      assert.equal(last.body.errorCode, deleteFailed, JSON.stringify(last.body));
      assert.match(last.body.errorMessage, /last second factor/);
      await registered(apiKey);
      assert.equal((await remove(apiKey, first)).status, 200);
    });

    test("concurrent deletions of a user's two keys under a second-factor requirement: exactly one goes", async () => {
      const { apiKey, tenant } = await setup({ ssoSecondFactor: "required" });
      const serials = [await registered(apiKey), await registered(apiKey)];
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          serials.map((serial) => remove(apiKey, serial, "webauthn keys: delete burst")),
        );
        assert.ok(
          results.filter((r) => r.status === 200).length <= 1,
          JSON.stringify(results.map((r) => r.body)),
        );
        const rows = await s.server.ctx.database.db
          .selectFrom("authenticators")
          .select("serial")
          .where("tenant_id", "=", tenant.id)
          .execute();
        assert.equal(rows.length, 1);
        const kept = rows[0]?.serial ?? "";
        serials.splice(0, 2, kept, await registered(apiKey));
      }
    });

    test("tenant settings: the WebAuthn fields are changed, shown, and used by the next ceremony", async () => {
      const { apiKey } = await setup();
      const patch = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: {
          webauthnRpId: "localhost",
          webauthnRpName: "Acme sign-in",
          webauthnOrigins: ["http://localhost:8443", "https://login.localhost"],
          webauthnUserVerification: "required",
          webauthnAttestation: "any",
          webauthnAaguids: ["ee882879-721c-4913-9775-3dfcce97072a"],
          webauthnU2fAppId: "https://localhost/app-id.json",
        },
        scenario: "webauthn settings: change",
      });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      const shown = (await s.api("GET", "/v1/tenant", { apiKey, scenario: "webauthn settings: show" })).body
        .tenant as Record<string, unknown>;
      assert.equal(shown.webauthnRpId, "localhost");
      assert.equal(shown.webauthnRpName, "Acme sign-in");
      assert.deepEqual(shown.webauthnOrigins, ["http://localhost:8443", "https://login.localhost"]);
      assert.equal(shown.webauthnUserVerification, "required");
      assert.equal(shown.webauthnAttestation, "any");
      assert.deepEqual(shown.webauthnAaguids, ["ee882879-721c-4913-9775-3dfcce97072a"]);
      assert.equal(shown.webauthnU2fAppId, "https://localhost/app-id.json");
      const { options, ceremonyId } = await startRegistration(s, apiKey, { username: "alice" });
      assert.deepEqual(options.rp, { name: "Acme sign-in", id: "localhost" });
      assert.equal(options.attestation, "direct");
      const authenticator = new SoftAuthenticator();
      // "any" wants a verified attestation; this key gives none.
      const refused = await verify(s, apiKey, {
        ceremonyId,
        response: authenticator.create(options, { origin: "https://login.localhost" }),
      });
      assert.equal(refused.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationError);
      const relaxed = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { webauthnAttestation: "none" },
        scenario: "webauthn settings: change",
      });
      assert.equal(relaxed.status, 200, JSON.stringify(relaxed.body));
      const again = await startRegistration(s, apiKey, { username: "alice" });
      assert.equal(again.options.attestation, "none");
      const done = await verify(s, apiKey, {
        ceremonyId: again.ceremonyId,
        response: authenticator.create(again.options, { origin: "https://login.localhost" }),
      });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      // publicUrl's origin is no longer one of the tenant's.
      const old = await register(s, apiKey, "alice", {}, "webauthn settings: old origin");
      assert.equal(old.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidAppID);
    });

    const bogus: [string, Record<string, unknown>, string][] = [
      ["an RP id with a scheme", { webauthnRpId: "https://example.com" }, "body.webauthnRpId"],
      ["an RP id with a port", { webauthnRpId: "example.com:443" }, "body.webauthnRpId"],
      ["an RP id with a path", { webauthnRpId: "example.com/login" }, "body.webauthnRpId"],
      ["an IPv4 RP id", { webauthnRpId: "127.0.0.1" }, "body.webauthnRpId"],
      ["an IPv6 RP id", { webauthnRpId: "[::1]" }, "body.webauthnRpId"],
      ["an upper-case RP id", { webauthnRpId: "Example.COM" }, "body.webauthnRpId"],
      [
        "an http origin that is not loopback",
        { webauthnRpId: "example.com", webauthnOrigins: ["http://example.com"] },
        "body.webauthnOrigins.0",
      ],
      [
        "an origin with a path",
        { webauthnRpId: "example.com", webauthnOrigins: ["https://example.com/login"] },
        "body.webauthnOrigins.0",
      ],
      [
        "an origin not under the RP id",
        { webauthnRpId: "example.com", webauthnOrigins: ["https://example.com", "https://evil-example.com"] },
        "body.webauthnOrigins.1",
      ],
      [
        "an origin on a parent of the RP id",
        { webauthnRpId: "login.example.com", webauthnOrigins: ["https://example.com"] },
        "body.webauthnOrigins.0",
      ],
      ["an origin that is not a URL", { webauthnOrigins: ["not a url"] }, "body.webauthnOrigins.0"],
      [
        "an RP id that publicUrl's origin does not fit, without origins",
        { webauthnRpId: "example.com" },
        "body.webauthnRpId",
      ],
      ["a U2F AppID that is not a URL", { webauthnU2fAppId: "example.com" }, "body.webauthnU2fAppId"],
      ["a U2F AppID over http", { webauthnU2fAppId: "http://example.com/app-id" }, "body.webauthnU2fAppId"],
    ];
    for (const [name, body, field] of bogus)
      test(`tenant settings: ${name} is BogusFIDOAppId naming ${field}`, async () => {
        const { apiKey } = await setup();
        const r = await s.api("PATCH", "/v1/tenant", {
          apiKey,
          body,
          scenario: `webauthn settings: ${name}`,
        });
        assert.equal(r.body.errorCode, ApiReturnCode.BogusFIDOAppId, JSON.stringify(r.body));
        assert.equal(r.body.field, field);
        const shown = (await s.api("GET", "/v1/tenant", { apiKey, scenario: "webauthn settings: show" })).body
          .tenant as Record<string, unknown>;
        assert.equal(shown.webauthnRpId, null, "nothing was changed");
      });

    test("tenant settings extremes: huge strings, too many origins, bad AAGUIDs are refused naming the field", async () => {
      const { apiKey } = await setup();
      for (const [body, field] of [
        [{ webauthnRpId: "a".repeat(5_000) }, "body.webauthnRpId"],
        [
          { webauthnOrigins: Array.from({ length: 21 }, (_, i) => `https://a${i}.localhost`) },
          "body.webauthnOrigins",
        ],
        [{ webauthnAaguids: ["not-a-uuid"] }, "body.webauthnAaguids.0"],
        [{ webauthnUserVerification: "always" }, "body.webauthnUserVerification"],
        [{ webauthnRpName: "" }, "body.webauthnRpName"],
      ] as const) {
        const r = await s.api("PATCH", "/v1/tenant", {
          apiKey,
          body,
          scenario: "webauthn settings: extremes",
        });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.field, field, JSON.stringify(r.body));
      }
    });

    test("an app's WebAuthn origins: under the tenant's RP id, used when a ceremony names the app", async () => {
      const { apiKey } = await setup();
      await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { webauthnRpId: "localhost", webauthnOrigins: ["https://localhost"] },
        scenario: "webauthn apps: setup",
      });
      const outside = await s.api("POST", "/v1/apps", {
        apiKey,
        body: {
          name: "Shop",
          kind: "browser",
          redirectUris: ["https://shop.localhost/cb"],
          webauthnOrigins: ["https://shop.example"],
        },
        scenario: "webauthn apps: origin outside the RP id",
      });
      assert.equal(outside.body.errorCode, ApiReturnCode.BogusFIDOAppId, JSON.stringify(outside.body));
      assert.equal(outside.body.field, "body.webauthnOrigins.0");
      const created = await s.api("POST", "/v1/apps", {
        apiKey,
        body: {
          name: "Shop",
          kind: "browser",
          redirectUris: ["https://shop.localhost/cb"],
          webauthnOrigins: ["https://shop.localhost"],
        },
        scenario: "webauthn apps: create",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const app = created.body.app as { clientId: string; webauthnOrigins: string[] };
      assert.deepEqual(app.webauthnOrigins, ["https://shop.localhost"]);
      const patched = await s.api("PATCH", `/v1/apps/${app.clientId}`, {
        apiKey,
        body: { webauthnOrigins: ["http://evil.localhost"] },
        scenario: "webauthn apps: change to a bad origin",
      });
      assert.equal(patched.body.errorCode, ApiReturnCode.BogusFIDOAppId);
      // The tenant's RP id cannot move away from the app's origins.
      const moved = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { webauthnRpId: "login.localhost", webauthnOrigins: ["https://login.localhost"] },
        scenario: "webauthn apps: RP id away from an app",
      });
      assert.equal(moved.body.errorCode, ApiReturnCode.BogusFIDOAppId, JSON.stringify(moved.body));
      const fromApp = { origin: "https://shop.localhost" };
      const without = await register(
        s,
        apiKey,
        "alice",
        fromApp,
        "webauthn apps: app origin without clientId",
      );
      assert.equal(without.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidAppID);
      const withApp = await register(
        s,
        apiKey,
        "alice",
        { ...fromApp, body: { clientId: app.clientId } },
        "webauthn apps: register",
      );
      assert.equal(withApp.status, 201, JSON.stringify(withApp.body));
      const other = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey: other.apiKey,
        body: { username: "alice" },
        scenario: "webauthn apps: setup",
      });
      const foreign = await s.api("POST", "/v1/webauthn/registration/options", {
        apiKey: other.apiKey,
        body: { username: "alice", clientId: app.clientId },
        scenario: "webauthn apps: another tenant's app",
      });
      assert.equal(foreign.body.errorCode, TesseraApiCode.NotFound);
      assert.equal(foreign.body.field, "body.clientId");
    });

    test("housekeeping deletes ceremonies a day after they expire, used or not", async () => {
      const { apiKey, tenant } = await setup();
      await startRegistration(s, apiKey, { username: "alice" });
      await registered(apiKey);
      const count = async () =>
        (
          await s.server.ctx.database.db
            .selectFrom("webauthn_ceremonies")
            .select("id_hash")
            .where("tenant_id", "=", tenant.id)
            .execute()
        ).length;
      assert.equal(await count(), 2);
      s.clock.advance(5 * 60_000 + 23 * 3600_000);
      await runHousekeepingRound(s.server.ctx, s.clock.now());
      assert.equal(await count(), 2, "kept for a day after expiry");
      s.clock.advance(3600_000 + 1);
      const round = await runHousekeepingRound(s.server.ctx, s.clock.now());
      assert.equal(await count(), 0);
      assert.ok((round.deleted.webauthn_ceremonies ?? 0) >= 2);
    });
  });
}
