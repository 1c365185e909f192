import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { openCredentialKey } from "../src/authenticators/webauthn/credential-key.ts";
import { finishRegistration } from "../src/authenticators/webauthn/registration-ceremony.ts";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import {
  register,
  startRegistration,
  verify,
  withCoseKey,
  withCredentialId,
} from "./helpers/webauthn-registration.ts";

for (const backend of backends) {
  suite(`WebAuthn registration (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const origin = () => new URL(s.url).origin;

    /** A tenant with user alice. */
    const setup = async (settings = {}) => {
      const { apiKey, tenant } = await s.tenant(undefined, settings);
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice" },
        scenario: "webauthn: setup",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { apiKey, tenant };
    };

    const rowsOf = (tenantId: string) =>
      s.server.ctx.database.db
        .selectFrom("webauthn_credentials")
        .innerJoin("authenticators", "authenticators.id", "webauthn_credentials.authenticator_id")
        .selectAll()
        .where("webauthn_credentials.tenant_id", "=", tenantId)
        .execute();

    test("options: the tenant's relying party, a 32-byte challenge, ES256/EdDSA/RS256, the tenant's user verification", async () => {
      const { apiKey, tenant } = await setup();
      const started = await s.api("POST", "/v1/webauthn/registration/options", {
        apiKey,
        body: { username: "alice", residentKey: "required" },
        scenario: "webauthn: registration options",
      });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.match(String(started.body.ceremonyId), /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Date.parse(String(started.body.expiresAt)), s.clock.now() + 5 * 60_000);
      const options = started.body.options as Record<string, unknown>;
      assert.deepEqual(options.rp, { name: tenant.name, id: "127.0.0.1" });
      assert.equal(Buffer.from(String(options.challenge), "base64url").length, 32);
      assert.deepEqual(
        (options.pubKeyCredParams as { alg: number }[]).map((p) => p.alg),
        [-8, -7, -257],
      );
      assert.equal(options.attestation, "none");
      assert.deepEqual(options.authenticatorSelection, {
        residentKey: "required",
        userVerification: "preferred",
        requireResidentKey: true,
      });
      const user = await s.server.ctx.database.db
        .selectFrom("users")
        .select("id")
        .where("tenant_id", "=", tenant.id)
        .executeTakeFirstOrThrow();
      assert.equal((options.user as { id: string }).id, Buffer.from(user.id).toString("base64url"));
    });

    test("a registered key is a webauthn authenticator of the user, its COSE key sealed to its row, listed", async () => {
      const { apiKey, tenant } = await setup();
      const authenticator = new SoftAuthenticator();
      const done = await register(s, apiKey, "alice", {
        authenticator,
        name: "Alice's key",
        transports: ["usb", "nfc"],
      });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      const key = done.body.key as Record<string, unknown>;
      assert.match(String(key.serial), /^WEBAUTHN[0-9A-F]{10}$/);
      assert.equal(key.name, "Alice's key");
      assert.equal(key.credentialId, authenticator.credentials[0]?.id.toString("base64url"));
      assert.deepEqual(key.transports, ["usb", "nfc"]);
      assert.equal(key.attestationFormat, "none");
      assert.equal(key.aaguid, "00000000-0000-0000-0000-000000000000");
      assert.equal(key.backupEligible, false);
      assert.equal(key.legacyU2f, false);
      assert.equal(key.cloneSuspected, false);
      assert.equal(key.lastUsedAt, null);
      const [row, ...more] = await rowsOf(tenant.id);
      assert.equal(more.length, 0);
      assert.ok(row !== undefined);
      assert.equal(row.type, "webauthn");
      assert.equal(row.algorithm, "ES256");
      assert.equal(row.rp_id, "127.0.0.1");
      assert.deepEqual(
        Buffer.from(openCredentialKey(s.server.ctx, row)),
        Buffer.from(authenticator.credentials[0]?.cose ?? []),
      );
      const listed = await s.api("GET", "/v1/users/alice/webauthn-keys", {
        apiKey,
        scenario: "webauthn: list keys",
      });
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.keys, [key]);
      // The next options exclude it.
      const again = await startRegistration(s, apiKey, { username: "alice" });
      assert.deepEqual(
        (again.options.excludeCredentials as { id: string }[]).map((c) => c.id),
        [key.credentialId],
      );
    });

    test("a synced passkey shows backup eligible and backed up, named Passkey by default", async () => {
      const { apiKey } = await setup();
      const done = await register(s, apiKey, "alice", {
        be: true,
        bs: true,
        body: { residentKey: "required" },
      });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      const key = done.body.key as Record<string, unknown>;
      assert.equal(key.backupEligible, true);
      assert.equal(key.backedUp, true);
      assert.equal(key.name, "Passkey");
    });

    test("20 concurrent verifications of one ceremony store exactly one key; the others are InvalidSessionIdData", async () => {
      const { apiKey, tenant } = await setup();
      const { ceremonyId, options } = await startRegistration(s, apiKey, { username: "alice" });
      const authenticators = Array.from({ length: 20 }, () => new SoftAuthenticator());
      const results = await Promise.all(
        authenticators.map((a) =>
          verify(
            s,
            apiKey,
            { ceremonyId, response: a.create(options, { origin: origin() }) },
            "webauthn: burst",
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 201).length, 1);
      for (const r of results.filter((r) => r.status !== 201))
        assert.equal(
          r.body.errorCode,
          ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
          JSON.stringify(r.body),
        );
      assert.equal((await rowsOf(tenant.id)).length, 1);
    });

    test("a ceremony is single use, expires, and is bound to its tenant and user: all InvalidSessionIdData", async () => {
      const { apiKey, tenant } = await setup();
      const other = await setup();
      const code = ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData;
      const authenticator = new SoftAuthenticator();
      const first = await startRegistration(s, apiKey, { username: "alice" });
      const response = authenticator.create(first.options, { origin: origin() });
      // Another tenant cannot spend it (and then it is still usable by its own tenant).
      const stolen = await verify(
        s,
        other.apiKey,
        { ceremonyId: first.ceremonyId, response },
        "webauthn: other tenant",
      );
      assert.equal(stolen.body.errorCode, code, JSON.stringify(stolen.body));
      assert.equal((await verify(s, apiKey, { ceremonyId: first.ceremonyId, response })).status, 201);
      const replay = await verify(s, apiKey, { ceremonyId: first.ceremonyId, response }, "webauthn: replay");
      assert.equal(replay.body.errorCode, code);
      const unknown = await verify(s, apiKey, {
        ceremonyId: randomBytes(32).toString("base64url"),
        response,
      });
      assert.equal(unknown.body.errorCode, code);
      const malformed = await verify(
        s,
        apiKey,
        { ceremonyId: "x", response },
        "webauthn: malformed ceremony id",
      );
      assert.equal(malformed.body.errorCode, code);
      const late = await startRegistration(s, apiKey, { username: "alice" });
      s.clock.advance(5 * 60_000 + 1);
      const expired = await verify(
        s,
        apiKey,
        { ceremonyId: late.ceremonyId, response: authenticator.create(late.options, { origin: origin() }) },
        "webauthn: expired",
      );
      assert.equal(expired.body.errorCode, code, JSON.stringify(expired.body));
      // Bound to its user: a caller naming another user (the sign-in pages do) is refused alike.
      const bob = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "bob" },
        scenario: "webauthn: setup",
      });
      assert.equal(bob.status, 201);
      const forAlice = await startRegistration(s, apiKey, { username: "alice" });
      const bobRow = await s.server.ctx.database.db
        .selectFrom("users")
        .selectAll()
        .where("username", "=", "bob")
        .where("tenant_id", "=", tenant.id)
        .executeTakeFirstOrThrow();
      await assert.rejects(
        finishRegistration(s.server.ctx, {
          tenant,
          ceremonyId: forAlice.ceremonyId,
          response: authenticator.create(forAlice.options, { origin: origin() }),
          user: bobRow,
        }),
        (error: { code?: number }) => error.code === code,
      );
    });

    test("an unknown user, or another tenant's, is InvalidPartnerUserLogin alike", async () => {
      const { apiKey } = await setup();
      const other = await s.tenant();
      for (const [key, scenario] of [
        [apiKey, "webauthn: unknown user"],
        [other.apiKey, "webauthn: other tenant's user"],
      ] as const) {
        const r = await s.api("POST", "/v1/webauthn/registration/options", {
          apiKey: key,
          body: { username: key === apiKey ? "nobody" : "alice" },
          scenario,
        });
        assert.equal(r.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin, JSON.stringify(r.body));
      }
    });

    test("a response from an origin not allowed says where origins are allowed, quoting nothing", async () => {
      const { apiKey } = await setup();
      const r = await register(
        s,
        apiKey,
        "alice",
        { origin: "https://pages.example" },
        "webauthn: origin refused",
      );
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidAppID, JSON.stringify(r.body));
      assert.match(String(r.body.errorMessage), /webauthnOrigins \(PATCH \/v1\/tenant\)/);
      assert.doesNotMatch(String(r.body.errorMessage), /pages\.example|127\.0\.0\.1/);
    });

    const refusals: {
      name: string;
      code: number;
      o: Parameters<typeof register>[3];
      settings?: Record<string, unknown>;
    }[] = [
      {
        name: "a response to another challenge",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
        o: { tamper: { clientData: (c) => ({ ...c, challenge: randomBytes(32).toString("base64url") }) } },
      },
      {
        name: "an origin the relying party does not allow",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
        o: { origin: "https://evil.example" },
      },
      {
        name: "an authenticator answering for another RP id",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
        o: {
          tamper: {
            authData: (d) =>
              Buffer.concat([createHash("sha256").update("evil.example").digest(), d.subarray(32)]),
          },
        },
      },
      {
        name: "client data of type webauthn.get",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidRegData,
        o: { tamper: { clientData: (c) => ({ ...c, type: "webauthn.get" }) } },
      },
      {
        name: "client data that is not JSON",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidRegData,
        o: {
          tamper: {
            response: (j) => ({
              ...j,
              response: {
                ...(j.response as object),
                clientDataJSON: Buffer.from("{not json").toString("base64url"),
              },
            }),
          },
        },
      },
      {
        name: "an attestation object that is not CBOR",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidRegData,
        o: {
          tamper: {
            response: (j) => ({ ...j, response: { ...(j.response as object), attestationObject: "_____w" } }),
          },
        },
      },
      {
        name: "authenticator data cut short",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidRegData,
        o: { tamper: { authData: (d) => d.subarray(0, 20) } },
      },
      {
        name: "the user-present flag clear",
        code: ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
        o: { up: false },
      },
      {
        name: "no user verification where the tenant requires it",
        code: ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
        o: { uv: false },
        settings: { webauthnUserVerification: "required" },
      },
      {
        name: "a COSE key of an unsupported algorithm (ES512)",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey,
        o: {
          tamper: {
            authData: (d) =>
              withCoseKey(
                d,
                new Map<number, unknown>([
                  [1, 2],
                  [3, -36],
                  [-1, 3],
                  [-2, randomBytes(66)],
                  [-3, randomBytes(66)],
                ]),
              ),
          },
        },
      },
      {
        name: "an ES256 key whose point is not on the curve",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey,
        o: {
          tamper: {
            authData: (d) =>
              withCoseKey(
                d,
                new Map<number, unknown>([
                  [1, 2],
                  [3, -7],
                  [-1, 1],
                  [-2, Buffer.alloc(32, 1)],
                  [-3, Buffer.alloc(32, 2)],
                ]),
              ),
          },
        },
      },
      {
        name: "a COSE key without an algorithm",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey,
        o: {
          tamper: {
            authData: (d) =>
              withCoseKey(
                d,
                new Map<number, unknown>([
                  [1, 2],
                  [-1, 1],
                ]),
              ),
          },
        },
      },
      {
        name: "an EdDSA key of the wrong length",
        code: ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey,
        o: {
          tamper: {
            authData: (d) =>
              withCoseKey(
                d,
                new Map<number, unknown>([
                  [1, 1],
                  [3, -8],
                  [-1, 6],
                  [-2, randomBytes(31)],
                ]),
              ),
          },
        },
      },
    ];
    for (const refusal of refusals)
      test(`${refusal.name} is refused with ${ApiReturnCode[refusal.code as never] ?? refusal.code} and stores nothing`, async () => {
        const { apiKey, tenant } = await setup(refusal.settings ?? {});
        const r = await register(s, apiKey, "alice", refusal.o, `webauthn: ${refusal.name}`);
        assert.equal(r.body.errorCode, refusal.code, JSON.stringify(r.body));
        assert.ok(r.status >= 400 && r.status < 500, String(r.status));
        assert.match(String(r.body.field), /^body\.response/);
        assert.equal((await rowsOf(tenant.id)).length, 0);
      });

    test("a credential id already registered in the tenant is InvalidRegData (one row stays)", async () => {
      const { apiKey, tenant } = await setup();
      const first = await register(s, apiKey, "alice");
      assert.equal(first.status, 201);
      const id = Buffer.from(String((first.body.key as { credentialId: string }).credentialId), "base64url");
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "mallory" },
        scenario: "webauthn: setup",
      });
      const copy = await register(
        s,
        apiKey,
        "mallory",
        {
          tamper: {
            authData: (d) => withCredentialId(d, id),
            response: (j) => ({ ...j, id: id.toString("base64url"), rawId: id.toString("base64url") }),
          },
        },
        "webauthn: duplicate credential id",
      );
      assert.equal(
        copy.body.errorCode,
        ApiReturnCode.PartnerUserFIDOU2FInvalidRegData,
        JSON.stringify(copy.body),
      );
      const rows = await rowsOf(tenant.id);
      assert.equal(rows.length, 1);
      const authenticators = await s.server.ctx.database.db
        .selectFrom("authenticators")
        .select("id")
        .where("tenant_id", "=", tenant.id)
        .execute();
      assert.equal(authenticators.length, 1, "the refused key's authenticators row is rolled back");
    });
  });
}
