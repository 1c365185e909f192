import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { openCredentialKey } from "../src/authenticators/webauthn/credential-key.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { u2fKey } from "./helpers/u2f-key.ts";

const APP_ID = "https://id.example.com/u2f/app-id.json";

for (const backend of backends) {
  suite(`legacy U2F key import (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    /** A tenant whose webauthnU2fAppId is `appId` (none: null), with user alice. */
    const tenantWith = async (appId: string | null = APP_ID) => {
      const { apiKey, tenant } = await s.tenant(undefined, { webauthnU2fAppId: appId });
      await s.api("POST", "/v1/users", { apiKey, body: { username: "alice" }, scenario: "u2f: setup" });
      return { apiKey, tenant };
    };
    const importKey = (apiKey: string, body: Record<string, unknown>, scenario = "u2f: import") =>
      s.api("POST", "/v1/webauthn/u2f-keys", { apiKey, body, scenario });
    const valid = (key = u2fKey(APP_ID)) => ({
      username: "alice",
      keyHandle: key.keyHandle,
      publicKey: key.publicKey,
      appId: APP_ID,
      version: "U2F_V2",
    });
    const refused = (
      r: Awaited<ReturnType<typeof importKey>>,
      status: number,
      code: number,
      field: string,
    ) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.errorCode, code, JSON.stringify(r.body));
      assert.equal(r.body.field, field, JSON.stringify(r.body));
    };
    const credentials = (tenantId: string) =>
      s.server.ctx.database.db
        .selectFrom("webauthn_credentials")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .execute();

    test("an imported key is stored like a registered one: COSE key sealed, AppID, fido-u2f, the counter", async () => {
      const { apiKey, tenant } = await tenantWith();
      const key = u2fKey(APP_ID);
      const r = await importKey(apiKey, { ...valid(key), counter: 412, name: "Alice's YubiKey" });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const view = r.body.key as Record<string, unknown>;
      assert.match(String(view.serial), /^WEBAUTHN[0-9A-F]{10}$/);
      assert.equal(view.credentialId, key.keyHandle);
      assert.equal(view.name, "Alice's YubiKey");
      assert.equal(view.attestationFormat, "fido-u2f");
      assert.equal(view.legacyU2f, true);
      assert.equal(view.enabled, true);
      assert.equal(view.userVerified, false);
      assert.deepEqual(view.transports, []);
      assert.equal(view.createdAt, new Date(s.clock.now()).toISOString());
      const [row] = await credentials(tenant.id);
      assert.ok(row !== undefined);
      assert.equal(row.u2f_app_id, APP_ID);
      assert.equal(row.attestation_format, "fido-u2f");
      assert.equal(Number(row.sign_count), 412);
      assert.equal(row.credential_id, key.keyHandle);
      const authenticator = await s.server.ctx.database.db
        .selectFrom("authenticators")
        .selectAll()
        .where("id", "=", row.authenticator_id)
        .executeTakeFirstOrThrow();
      assert.equal(authenticator.type, "webauthn");
      assert.equal(authenticator.serial, view.serial);
      // The sealed COSE key is the imported point: a signature of the private key verifies with it.
      const cose = openCredentialKey(s.server.ctx, authenticator);
      const { isoCBOR } = await import("@simplewebauthn/server/helpers");
      const map = isoCBOR.decodeFirst<Map<number, Uint8Array | number>>(cose);
      const x = Buffer.from(map.get(-2) as Uint8Array).toString("base64url");
      const y = Buffer.from(map.get(-3) as Uint8Array).toString("base64url");
      const stored = createPublicKey({ key: { kty: "EC", crv: "P-256", x, y }, format: "jwk" });
      const { sign } = await import("node:crypto");
      const signature = sign("sha256", Buffer.from("data"), key.credential.privateKey);
      assert.ok(verify("sha256", Buffer.from("data"), stored, signature));
      assert.equal(map.get(3), -7);
      // Listed with the user's other keys.
      const listed = await s.api("GET", "/v1/users/alice/webauthn-keys", { apiKey, scenario: "u2f: list" });
      assert.deepEqual(listed.body.keys, [view]);
    });

    test('a version other than "U2F_V2" is InvalidVersion naming body.version', async () => {
      const { apiKey, tenant } = await tenantWith();
      for (const version of ["U2F_V1", "u2f_v2", "", "U2F_V2 ", "FIDO_2_0"])
        refused(
          await importKey(apiKey, { ...valid(), version }),
          400,
          ApiReturnCode.PartnerUserFIDOU2FInvalidVersion,
          "body.version",
        );
      assert.deepEqual(await credentials(tenant.id), []);
    });

    test("a malformed key handle or one of an impossible length is BogusPhysicalDeviceId", async () => {
      const { apiKey, tenant } = await tenantWith();
      const handles = [
        "",
        "not base64url!",
        "AAAA+/AA",
        "AAAAAA==",
        // Stray bits in the last character: a second spelling of "AA" (one byte).
        "AB",
        Buffer.alloc(256, 1).toString("base64url"),
        "A".repeat(1024),
      ];
      for (const keyHandle of handles)
        refused(
          await importKey(apiKey, { ...valid(), keyHandle }),
          400,
          ApiReturnCode.BogusPhysicalDeviceId,
          "body.keyHandle",
        );
      assert.deepEqual(await credentials(tenant.id), []);
      const longest = u2fKey(APP_ID, 255);
      assert.equal((await importKey(apiKey, valid(longest))).status, 201);
      const shortest = u2fKey(APP_ID, 1);
      assert.equal((await importKey(apiKey, valid(shortest))).status, 201);
    });

    test("a public key that is not an uncompressed point on P-256 is InvalidPubKey", async () => {
      const { apiKey, tenant } = await tenantWith();
      const point = Buffer.from(u2fKey(APP_ID).publicKey, "base64url");
      const offCurve = Buffer.from(point);
      offCurve[64] = (offCurve[64] ?? 0) ^ 1;
      const compressed = Buffer.concat([Buffer.from([2]), point.subarray(1, 33)]);
      const wrongPrefix = Buffer.from(point);
      wrongPrefix[0] = 0x05;
      const outOfField = Buffer.alloc(65, 0xff);
      outOfField[0] = 4;
      const keys = [
        offCurve.toString("base64url"),
        compressed.toString("base64url"),
        wrongPrefix.toString("base64url"),
        Buffer.concat([point, Buffer.from([0])]).toString("base64url"),
        point.subarray(0, 64).toString("base64url"),
        outOfField.toString("base64url"),
        Buffer.concat([Buffer.from([4]), Buffer.alloc(64)]).toString("base64url"),
        `${point.toString("base64url")}=`,
        point.toString("base64"),
        "",
      ];
      for (const publicKey of keys)
        refused(
          await importKey(apiKey, { ...valid(), publicKey }),
          400,
          ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey,
          "body.publicKey",
        );
      assert.deepEqual(await credentials(tenant.id), []);
    });

    test("an AppID that is not an https URL, or not the tenant's webauthnU2fAppId, is BogusFIDOAppId", async () => {
      const { apiKey, tenant } = await tenantWith();
      const appIds = [
        "id.example.com",
        "http://id.example.com/u2f/app-id.json",
        "https://",
        "https://user:pw@id.example.com/u2f/app-id.json",
        "https://id.example.com/u2f/other.json",
        "https://evil.example/u2f/app-id.json",
        "",
      ];
      for (const appId of appIds)
        refused(
          await importKey(apiKey, { ...valid(), appId }),
          400,
          ApiReturnCode.BogusFIDOAppId,
          "body.appId",
        );
      assert.deepEqual(await credentials(tenant.id), []);
    });

    test("a tenant without webauthnU2fAppId imports nothing (fail closed): BogusFIDOAppId", async () => {
      const { apiKey, tenant } = await tenantWith(null);
      const r = await importKey(apiKey, valid());
      refused(r, 400, ApiReturnCode.BogusFIDOAppId, "body.appId");
      assert.match(r.body.errorMessage, /webauthnU2fAppId/);
      assert.deepEqual(await credentials(tenant.id), []);
    });

    test("counter extremes are refused naming body.counter; 0 and 2^32-1 are accepted", async () => {
      const { apiKey, tenant } = await tenantWith();
      for (const counter of [-1, 2 ** 32, 2 ** 31 * 4 + 1, 2 ** 53, -(2 ** 53), 0.5, 1e308, "1", null, true])
        refused(
          await importKey(apiKey, { ...valid(), counter }),
          400,
          TesseraApiCode.MalformedRequest,
          "body.counter",
        );
      assert.deepEqual(await credentials(tenant.id), []);
      for (const counter of [0, 2 ** 32 - 1]) {
        const r = await importKey(apiKey, { ...valid(), counter });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const counts = (await credentials(tenant.id)).map((c) => Number(c.sign_count)).sort((a, b) => a - b);
      assert.deepEqual(counts, [0, 2 ** 32 - 1]);
    });

    test("huge strings, control characters in the name and deep JSON are refused naming the field, never a 5xx", async () => {
      const { apiKey } = await tenantWith();
      const huge = "A".repeat(60_000);
      for (const field of ["username", "keyHandle", "publicKey", "appId", "version", "name"]) {
        const r = await importKey(apiKey, { ...valid(), [field]: huge });
        assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body).slice(0, 200)}`);
        assert.equal(r.body.field, `body.${field}`);
      }
      for (const name of ["", "a\nb", "tab\there", "\u007f"]) {
        const r = await importKey(apiKey, { ...valid(), name });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.field, "body.name");
      }
      // 30 000 levels of nesting, within the 64 KiB body limit (the raw text: JSON.stringify here
      // would overflow the test's own stack).
      const depth = 30_000;
      const text = JSON.stringify(valid()).replace(/}$/, `,"name":${"[".repeat(depth)}${"]".repeat(depth)}}`);
      const r = await s.api("POST", "/v1/webauthn/u2f-keys", {
        apiKey,
        rawBody: text,
        headers: { "content-type": "application/json" },
        scenario: "u2f: deep JSON",
      });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.field, "body.name");
    });

    test("a key handle already in the tenant is DeviceAlreadyProvisioned; a burst of 10 imports stores one", async () => {
      const { apiKey, tenant } = await tenantWith();
      const key = u2fKey(APP_ID);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => importKey(apiKey, valid(key), "u2f: import burst")),
      );
      assert.equal(results.filter((r) => r.status === 201).length, 1);
      for (const r of results.filter((r) => r.status !== 201))
        refused(r, 409, ApiReturnCode.DeviceAlreadyProvisioned, "body.keyHandle");
      assert.equal((await credentials(tenant.id)).length, 1);
      const rows = await s.server.ctx.database.db
        .selectFrom("authenticators")
        .select("id")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.equal(rows.length, 1, "a refused import leaves no authenticators row");
    });

    test("users are the calling tenant's: another tenant's username is InvalidPartnerUserLogin", async () => {
      const mine = await tenantWith();
      const other = await tenantWith();
      await s.api("POST", "/v1/users", {
        apiKey: other.apiKey,
        body: { username: "bob" },
        scenario: "u2f: setup",
      });
      refused(
        await importKey(mine.apiKey, { ...valid(), username: "bob" }),
        404,
        ApiReturnCode.InvalidPartnerUserLogin,
        "body.username",
      );
      // The same key handle may be another tenant's too: credential ids are unique per tenant.
      const key = u2fKey(APP_ID);
      assert.equal((await importKey(mine.apiKey, valid(key))).status, 201);
      assert.equal((await importKey(other.apiKey, valid(key))).status, 201);
    });
  });
}
