import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { importMetadata } from "../src/authenticators/webauthn/metadata/import-metadata.ts";
import { ManualClock } from "../src/clock/clock.ts";
import type { TenantSettings } from "../src/tenants/tenant-store.ts";
import {
  attestationAuthority,
  breakAttestationSignature,
  fidoU2fAttestation,
  issue,
  metadataEntry,
  packedAttestation,
  signMetadataBlob,
} from "./helpers/soft-attestation.ts";
import type { CreateOptions } from "./helpers/soft-authenticator.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { register, startRegistration } from "./helpers/webauthn-registration.ts";

/**
 * The attestation policy observed through POST /v1/webauthn/registration/verify: the codes a
 * tenant's front end sees, and that a refused key is not stored.
 */
const uuid = (b: Buffer) => b.toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
const listed = randomBytes(16);
const revoked = randomBytes(16);
const caListed = attestationAuthority(listed);
const caRevoked = attestationAuthority(revoked);
const mdsRoot = issue({ subject: "/CN=Test MDS Root", ca: true });
const mdsSigner = issue({ subject: "/CN=mds.test", issuer: mdsRoot });

for (const backend of backends) {
  suite(`WebAuthn attestation through the API (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // Certificates openssl issued are valid from now: the server's clock starts now.
      s = await startTestServer(backend, { clock: new ManualClock(Date.now()) });
      const blob = await signMetadataBlob(mdsSigner, {
        no: 1,
        entries: [
          metadataEntry(uuid(listed), [caListed.root]),
          metadataEntry(uuid(revoked), [caRevoked.root], ["FIDO_CERTIFIED_L1", "ATTESTATION_KEY_COMPROMISE"]),
        ],
      });
      await importMetadata(s.server.ctx, blob, mdsRoot.pem);
    });
    after(() => s.close());

    /** A tenant with this policy and a user alice; returns a registering function and her keys. */
    const setup = async (settings: TenantSettings) => {
      const { apiKey } = await s.tenant(undefined, settings);
      const created = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice" },
        scenario: "webauthn attestation: setup",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return {
        apiKey,
        register: (o: Partial<CreateOptions>, scenario: string) => register(s, apiKey, "alice", o, scenario),
        keys: async () =>
          (
            await s.api("GET", "/v1/users/alice/webauthn-keys", {
              apiKey,
              scenario: "webauthn attestation: keys",
            })
          ).body.keys as { attestationFormat: string; aaguid: string }[],
      };
    };

    const refused = (r: { status: number; body: Record<string, unknown> }, code: number, status: number) => {
      assert.equal(r.body.errorCode, code, JSON.stringify(r.body));
      assert.equal(r.status, status);
    };

    test("none (the default): no attestation asked for, the key stored with fmt none", async () => {
      const t = await setup({});
      const { options } = await startRegistration(s, t.apiKey, { username: "alice" });
      assert.equal(options.attestation, "none");
      const r = await t.register({}, "webauthn attestation: none policy");
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal((r.body.key as { attestationFormat: string }).attestationFormat, "none");
    });

    test("any: direct attestation asked; none and self attestation are InvalidAttestationError and not stored", async () => {
      const t = await setup({ webauthnAttestation: "any" });
      const { options } = await startRegistration(s, t.apiKey, { username: "alice" });
      assert.equal(options.attestation, "direct");
      const code = ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationError;
      refused(await t.register({}, "webauthn attestation: any refuses none"), code, 400);
      refused(await t.register({ fmt: "packed" }, "webauthn attestation: any refuses self"), code, 400);
      assert.deepEqual(await t.keys(), []);
      const packed = await t.register(
        { aaguid: listed, attest: packedAttestation(caListed.leaf) },
        "webauthn attestation: any accepts packed x5c",
      );
      assert.equal(packed.status, 201, JSON.stringify(packed.body));
      const u2f = await t.register(
        { attest: fidoU2fAttestation(caListed.leaf) },
        "webauthn attestation: any accepts fido-u2f",
      );
      assert.equal(u2f.status, 201, JSON.stringify(u2f.body));
      assert.deepEqual((await t.keys()).map((k) => [k.attestationFormat, k.aaguid]).sort(), [
        ["fido-u2f", "00000000-0000-0000-0000-000000000000"],
        ["packed", uuid(listed)],
      ]);
    });

    test("an attestation signature that does not verify is InvalidAttestationSig; an unknown format InvalidVersion", async () => {
      const t = await setup({ webauthnAttestation: "any" });
      const sig = ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationSig;
      refused(
        await t.register(
          { aaguid: listed, attest: breakAttestationSignature(packedAttestation(caListed.leaf)) },
          "webauthn attestation: packed signature broken",
        ),
        sig,
        401,
      );
      refused(
        await t.register(
          { attest: breakAttestationSignature(fidoU2fAttestation(caListed.leaf)) },
          "webauthn attestation: u2f signature broken",
        ),
        sig,
        401,
      );
      refused(
        await t.register(
          { attest: () => ({ fmt: "x-unknown", attStmt: new Map() }) },
          "webauthn attestation: unsupported format",
        ),
        ApiReturnCode.PartnerUserFIDOU2FInvalidVersion,
        400,
      );
      assert.deepEqual(await t.keys(), []);
    });

    test("malformed attestation statements are a 4xx naming the attestation, never a 5xx", async () => {
      const t = await setup({ webauthnAttestation: "any" });
      const packed = packedAttestation(caListed.leaf);
      const bent =
        (change: (statement: Map<string, unknown>) => void): NonNullable<CreateOptions["attest"]> =>
        (...args) => {
          const statement = packed(...args);
          change(statement.attStmt);
          return statement;
        };
      const cases: [string, NonNullable<CreateOptions["attest"]>][] = [
        ["empty x5c", bent((m) => m.set("x5c", []))],
        ["garbage certificate", bent((m) => m.set("x5c", [randomBytes(64)]))],
        ["huge certificate", bent((m) => m.set("x5c", [randomBytes(20_000)]))],
        ["no signature", bent((m) => m.delete("sig"))],
        ["alg of 2^53", bent((m) => m.set("alg", 2 ** 53))],
        ["alg negative fraction", bent((m) => m.set("alg", -7.5))],
      ];
      for (const [name, attest] of cases) {
        const r = await t.register({ aaguid: listed, attest }, `webauthn attestation: malformed (${name})`);
        assert.ok(r.status >= 400 && r.status < 500, `${name}: ${r.status} ${JSON.stringify(r.body)}`);
        assert.match(String(r.body.errorName), /^PartnerUserFIDOU2F/, name);
      }
      // A leaf naming another model than the authenticator data: the statement does not verify.
      const other = await t.register(
        { aaguid: revoked, attest: packedAttestation(caListed.leaf) },
        "webauthn attestation: certificate of another model",
      );
      assert.ok(other.status >= 400 && other.status < 500, JSON.stringify(other.body));
      assert.deepEqual(await t.keys(), []);
    });

    test("allow-list: a listed model with metadata passes; unlisted, compromised or forged ones are refused", async () => {
      const t = await setup({
        webauthnAttestation: "allow-list",
        webauthnAaguids: [uuid(listed), uuid(revoked)],
      });
      const code = ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationError;
      const other = randomBytes(16);
      refused(
        await t.register(
          { aaguid: other, attest: packedAttestation(attestationAuthority(other).leaf) },
          "webauthn attestation: allow-list refuses unlisted",
        ),
        code,
        400,
      );
      refused(
        await t.register(
          { aaguid: revoked, attest: packedAttestation(caRevoked.leaf) },
          "webauthn attestation: allow-list refuses compromised",
        ),
        code,
        400,
      );
      refused(
        await t.register(
          { aaguid: listed, attest: packedAttestation(attestationAuthority(listed).leaf) },
          "webauthn attestation: allow-list refuses a forged chain",
        ),
        code,
        400,
      );
      assert.deepEqual(await t.keys(), []);
      const ok = await t.register(
        { aaguid: listed, attest: packedAttestation(caListed.leaf) },
        "webauthn attestation: allow-list accepts",
      );
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(
        (await t.keys()).map((k) => k.aaguid),
        [uuid(listed)],
      );
    });
  });
}
