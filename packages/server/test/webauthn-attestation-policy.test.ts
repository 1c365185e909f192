import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe as suite, test } from "node:test";
import { SettingsService, verifyRegistrationResponse } from "@simplewebauthn/server";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import {
  attestationConveyance,
  attestationFailure,
  attestationRoots,
  checkAttestation,
  type RegistrationInfo,
} from "../src/authenticators/webauthn/attestation-policy.ts";
import { importMetadata } from "../src/authenticators/webauthn/metadata/import-metadata.ts";
import { registrationError } from "../src/authenticators/webauthn/webauthn-errors.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { findTenant, type Tenant, type WebauthnAttestation } from "../src/tenants/tenant-store.ts";
import {
  attestationAuthority,
  breakAttestationSignature,
  fidoU2fAttestation,
  issue,
  metadataEntry,
  packedAttestation,
  signMetadataBlob,
} from "./helpers/soft-attestation.ts";
import { type CreateOptions, SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The attestation policy (none / any / allow-list) against @simplewebauthn/server's own
 * verifyRegistrationResponse, with attestations the software authenticator makes from
 * certificates openssl issued: what the registration part runs for every new key.
 */
const origin = "https://localhost";
const uuid = (b: Buffer) => b.toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
const modelA = randomBytes(16);
const modelB = randomBytes(16);
const caA = attestationAuthority(modelA);
const caB = attestationAuthority(modelB);
const mdsRoot = issue({ subject: "/CN=Test MDS Root", ca: true });
const mdsSigner = issue({ subject: "/CN=mds.test", issuer: mdsRoot });
const refusedStatuses = [
  "REVOKED",
  "USER_KEY_REMOTE_COMPROMISE",
  "USER_KEY_PHYSICAL_COMPROMISE",
  "ATTESTATION_KEY_COMPROMISE",
];
/** A model per refused status, certified before and after it: one such report anywhere refuses. */
const troubled = refusedStatuses.map((status) => {
  const model = randomBytes(16);
  return { status, model, ca: attestationAuthority(model) };
});

/**
 * Registers a new soft key as the registration part does (registration-ceremony.ts): verify, map
 * its errors, then the tenant's policy; attestationFailure first, as the registration part is to
 * call it (the statement failures its own mapping reports as InvalidRegData).
 */
async function register(s: TestServer, tenant: Tenant, o: Partial<CreateOptions>): Promise<RegistrationInfo> {
  const options = {
    challenge: randomBytes(32).toString("base64url"),
    rp: { id: "localhost" },
    user: { id: "dXNlcg" },
  };
  const response = new SoftAuthenticator().create(options, { origin, ...o });
  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    result = await verifyRegistrationResponse({
      response: response as never,
      expectedChallenge: options.challenge,
      expectedOrigin: origin,
      expectedRPID: "localhost",
    });
  } catch (error) {
    throw attestationFailure(error) ?? registrationError(error);
  }
  // As the registration part answers an attestation signature that does not verify.
  if (!result.verified)
    throw new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationSig, {
      message: "not verified",
    });
  await checkAttestation(s.server.ctx, tenant, result.registrationInfo);
  return result.registrationInfo;
}

/**
 * A tenant with this attestation policy. The columns are written directly: the tenant settings'
 * API side is the registration part's (PATCH /v1/tenants), this suite tests the policy only.
 */
export async function policyTenant(s: TestServer, policy: WebauthnAttestation, aaguids: string[] = []) {
  const { tenant, apiKey } = await s.tenant();
  const { db } = s.server.ctx.database;
  await db
    .updateTable("tenants")
    .set({ webauthn_attestation: policy, webauthn_aaguids: JSON.stringify(aaguids) })
    .where("id", "=", tenant.id)
    .execute();
  return { tenant: (await findTenant(db, tenant.id)) as Tenant, apiKey };
}

const refusedWith = (code: number, message?: RegExp) => (error: unknown) => {
  assert.ok(TesseraError.is(error), String(error));
  assert.equal(error.code, code, error.message);
  if (message !== undefined) assert.match(error.message, message);
  return true;
};

for (const backend of backends) {
  suite(`WebAuthn attestation policy (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // Certificates openssl issued are valid from now: the server's clock starts now.
      s = await startTestServer(backend, { clock: new ManualClock(Date.now()) });
      const blob = await signMetadataBlob(mdsSigner, {
        no: 1,
        entries: [
          metadataEntry(uuid(modelA), [caA.root]),
          metadataEntry(uuid(modelB), [caB.root]),
          ...troubled.map((t) =>
            metadataEntry(uuid(t.model), [t.ca.root], ["FIDO_CERTIFIED_L1", t.status, "FIDO_CERTIFIED_L2"]),
          ),
        ],
      });
      await importMetadata(s.server.ctx, blob, mdsRoot.pem);
    });
    after(() => s.close());

    test("none: no attestation asked for, any key accepted, fmt none", async () => {
      const { tenant } = await s.tenant();
      assert.equal(tenant.webauthnAttestation, "none");
      assert.equal(attestationConveyance(tenant), "none");
      assert.equal((await register(s, tenant, {})).fmt, "none");
      assert.equal((await register(s, tenant, { fmt: "packed" })).fmt, "packed");
    });

    test("any: direct attestation asked; none and self attestation refused, x5c attestation accepted", async () => {
      const { tenant } = await policyTenant(s, "any");
      assert.equal(attestationConveyance(tenant), "direct");
      const code = ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationError;
      await assert.rejects(register(s, tenant, {}), refusedWith(code, /gave none/));
      await assert.rejects(register(s, tenant, { fmt: "packed" }), refusedWith(code, /self attestation/));
      const packed = await register(s, tenant, { aaguid: modelA, attest: packedAttestation(caA.leaf) });
      assert.equal(packed.fmt, "packed");
      assert.equal(packed.aaguid, uuid(modelA));
      // A model without imported metadata: the verified certificate is all "any" asks for.
      const other = randomBytes(16);
      const unknown = attestationAuthority(other);
      assert.equal(
        (await register(s, tenant, { aaguid: other, attest: packedAttestation(unknown.leaf) })).fmt,
        "packed",
      );
      const u2f = await register(s, tenant, { attest: fidoU2fAttestation(unknown.leaf) });
      assert.equal(u2f.fmt, "fido-u2f");
      // A model with metadata must chain to its roots even under "any".
      const forged = attestationAuthority(modelA);
      await assert.rejects(
        register(s, tenant, { aaguid: modelA, attest: packedAttestation(forged.leaf) }),
        refusedWith(code, /does not chain/),
      );
    });

    test("an attestation signature that does not verify is InvalidAttestationSig (packed and fido-u2f)", async () => {
      const { tenant } = await policyTenant(s, "any");
      const code = ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationSig;
      await assert.rejects(
        register(s, tenant, {
          aaguid: modelA,
          attest: breakAttestationSignature(packedAttestation(caA.leaf)),
        }),
        refusedWith(code),
      );
      await assert.rejects(
        register(s, tenant, { attest: breakAttestationSignature(fidoU2fAttestation(caA.leaf)) }),
        refusedWith(code),
      );
      // Self attestation with a broken signature, and a leaf whose AAGUID extension names another model.
      await assert.rejects(
        register(s, tenant, {
          fmt: "packed",
          tamper: { signature: (sig) => Buffer.concat([sig.subarray(0, -1), Buffer.from([0])]) },
        }),
        refusedWith(code),
      );
      await assert.rejects(
        register(s, tenant, { aaguid: modelB, attest: packedAttestation(caA.leaf) }),
        refusedWith(code),
      );
    });

    test("an unsupported attestation format is InvalidVersion", async () => {
      const { tenant } = await s.tenant();
      const unknownFormat: CreateOptions["attest"] = () => ({ fmt: "x-unknown", attStmt: new Map() });
      await assert.rejects(
        register(s, tenant, { attest: unknownFormat }),
        refusedWith(ApiReturnCode.PartnerUserFIDOU2FInvalidVersion),
      );
    });

    test("allow-list: the AAGUID must be listed, have metadata and chain to its roots", async () => {
      const code = ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationError;
      const unlisted = randomBytes(16);
      const ca = attestationAuthority(unlisted);
      const { tenant } = await policyTenant(s, "allow-list", [uuid(modelA), uuid(unlisted)]);
      assert.equal(attestationConveyance(tenant), "direct");
      assert.equal(
        (await register(s, tenant, { aaguid: modelA, attest: packedAttestation(caA.leaf) })).aaguid,
        uuid(modelA),
      );
      await assert.rejects(
        register(s, tenant, { aaguid: modelB, attest: packedAttestation(caB.leaf) }),
        refusedWith(code, /not on the tenant's allow-list/),
      );
      await assert.rejects(
        register(s, tenant, { aaguid: unlisted, attest: packedAttestation(ca.leaf) }),
        refusedWith(code, /no FIDO metadata/),
      );
      // Model A's AAGUID in a certificate of another CA (a chain that does not lead to A's root).
      const forged = attestationAuthority(modelA);
      await assert.rejects(
        register(s, tenant, { aaguid: modelA, attest: packedAttestation(forged.leaf) }),
        refusedWith(code, /does not chain/),
      );
      await assert.rejects(register(s, tenant, {}), refusedWith(code));
      await assert.rejects(register(s, tenant, { fmt: "packed", aaguid: modelA }), refusedWith(code));
      // A U2F key has no AAGUID (all zeros): it cannot be allow-listed.
      await assert.rejects(register(s, tenant, { attest: fidoU2fAttestation(caA.leaf) }), refusedWith(code));
    });

    test("attestationRoots: the PEM roots of the model's metadata, none for an unknown model", async () => {
      const roots = await attestationRoots(s.server.ctx, uuid(modelA).toUpperCase());
      assert.equal(roots.length, 1);
      assert.equal(roots[0]?.replace(/\s/g, ""), caA.root.pem.replace(/\s/g, ""));
      assert.deepEqual(await attestationRoots(s.server.ctx, uuid(randomBytes(16))), []);
    });

    test("roots stay per model and tenant: concurrent registrations of two tenants never borrow each other's", async () => {
      const a = (await policyTenant(s, "allow-list", [uuid(modelA)])).tenant;
      const b = (await policyTenant(s, "allow-list", [uuid(modelB)])).tenant;
      const attempts = Array.from({ length: 12 }, (_, i) => {
        const [tenant, model, ca] = i % 2 === 0 ? [a, modelA, caA] : [b, modelB, caB];
        const wrong = i % 4 < 2 ? ca : i % 2 === 0 ? caB : caA;
        return register(s, tenant, { aaguid: model, attest: packedAttestation(wrong.leaf) }).then(
          () => "accepted",
          (e: TesseraError) => e.code,
        );
      });
      const outcomes = await Promise.all(attempts);
      outcomes.forEach((outcome, i) => {
        const ownChain = i % 4 < 2;
        if (ownChain) assert.equal(outcome, "accepted", `attempt ${i}`);
        else assert.notEqual(outcome, "accepted", `attempt ${i}`);
      });
      // Nothing was put in the library's process-wide settings.
      assert.deepEqual(SettingsService.getRootCertificates({ identifier: "packed" }), []);
      assert.deepEqual(SettingsService.getRootCertificates({ identifier: "fido-u2f" }), []);
    });

    for (const { status, model, ca } of troubled)
      test(`a model whose metadata reports ${status} is refused, even after a later certification`, async () => {
        for (const policy of ["allow-list", "any"] as const) {
          const { tenant } = await policyTenant(s, policy, [uuid(model)]);
          await assert.rejects(
            register(s, tenant, { aaguid: model, attest: packedAttestation(ca.leaf) }),
            refusedWith(ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationError, new RegExp(status)),
          );
        }
      });
  });
}
