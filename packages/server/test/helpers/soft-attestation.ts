import { execFileSync } from "node:child_process";
import { createPrivateKey, type KeyObject, sign, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import type { CreateOptions, SoftCredential } from "./soft-authenticator.ts";

/**
 * Attestation for the software authenticator (its `attest` hook), with certificates made by the
 * `openssl` command line in a temp dir, so that nothing here signs its own certificates: packed
 * attestation with an x5c chain whose leaf carries the FIDO extension id-fido-gen-ce-aaguid
 * (1.3.6.1.4.1.45724.1.1.4), and fido-u2f attestation. Also a FIDO MDS3 BLOB signed with jose
 * under a certificate of a root made the same way (imported with `--root`).
 */
export interface Issued {
  /** The certificate, PEM and DER. */
  readonly pem: string;
  readonly der: Buffer;
  readonly key: KeyObject;
  readonly keyFile: string;
  readonly certFile: string;
}

export interface CertificateOptions {
  readonly subject: string;
  /** The issuing CA; none: self-signed. */
  readonly issuer?: Issued;
  readonly ca?: boolean;
  /** The AAGUID (16 bytes) put in the id-fido-gen-ce-aaguid extension. */
  readonly aaguid?: Buffer;
  readonly days?: number;
}

const dir = mkdtempSync(join(tmpdir(), "tessera-attestation-"));
let serial = 0;
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A P-256 certificate made and signed by openssl. */
export function issue(o: CertificateOptions): Issued {
  serial += 1;
  const name = `cert-${serial}`;
  const ext = [`basicConstraints=critical,CA:${o.ca ? "TRUE" : "FALSE"}`];
  if (o.ca) ext.push("keyUsage=critical,keyCertSign,cRLSign");
  if (o.aaguid !== undefined) ext.push(`1.3.6.1.4.1.45724.1.1.4=DER:04:10:${o.aaguid.toString("hex")}`);
  writeFileSync(join(dir, `${name}.ext`), `${ext.join("\n")}\n`);
  const days = String(o.days ?? 30);
  openssl(
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    o.subject,
  );
  const signer =
    o.issuer === undefined
      ? ["-signkey", `${name}.key`]
      : ["-CA", o.issuer.certFile, "-CAkey", o.issuer.keyFile, "-set_serial", String(1000 + serial)];
  openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    ...signer,
    "-days",
    days,
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  );
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const pem = readFileSync(certFile, "utf8");
  return {
    pem,
    der: Buffer.from(new X509Certificate(pem).raw),
    key: createPrivateKey(readFileSync(keyFile)),
    keyFile,
    certFile,
  };
}

/** A test attestation CA (root) and, under it, an attestation certificate for `aaguid` (packed's subject rules). */
export function attestationAuthority(
  aaguid: Buffer,
  root = issue({ subject: "/C=DE/O=Tessera Test/CN=Attestation Root", ca: true }),
) {
  const leaf = issue({
    subject: "/C=DE/O=Tessera Test/OU=Authenticator Attestation/CN=Soft Key",
    issuer: root,
    aaguid,
  });
  return { root, leaf };
}

type Attest = NonNullable<CreateOptions["attest"]>;

/** `attest` hook: packed attestation signed by `leaf`, x5c = [leaf, ...intermediates]. */
export const packedAttestation =
  (leaf: Issued, intermediates: readonly Issued[] = []): Attest =>
  (authData, clientDataHash) => ({
    fmt: "packed",
    attStmt: new Map<string, unknown>([
      ["alg", -7],
      ["sig", sign("sha256", Buffer.concat([authData, clientDataHash]), leaf.key)],
      ["x5c", [leaf.der, ...intermediates.map((c) => c.der)]],
    ]),
  });

/** The credential's public key as U2F has it: the uncompressed P-256 point (65 bytes). */
function rawPublicKey(credential: SoftCredential): Buffer {
  const jwk = credential.publicKey.export({ format: "jwk" });
  return Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? "", "base64url"),
    Buffer.from(jwk.y ?? "", "base64url"),
  ]);
}

/** `attest` hook: fido-u2f attestation (FIDO U2F raw message format) signed by `leaf`. */
export const fidoU2fAttestation =
  (leaf: Issued): Attest =>
  (authData, clientDataHash, credential) => ({
    fmt: "fido-u2f",
    attStmt: new Map<string, unknown>([
      [
        "sig",
        sign(
          "sha256",
          Buffer.concat([
            Buffer.from([0]),
            authData.subarray(0, 32),
            clientDataHash,
            credential.id,
            rawPublicKey(credential),
          ]),
          leaf.key,
        ),
      ],
      ["x5c", [leaf.der]],
    ]),
  });

/** One MDS3 entry for `aaguid` whose attestation roots are `roots`, with its status history. */
export const metadataEntry = (
  aaguid: string,
  roots: readonly Issued[],
  statuses: readonly string[] = ["FIDO_CERTIFIED_L1"],
) => ({
  aaguid,
  metadataStatement: {
    aaguid,
    description: `Soft key ${aaguid.slice(0, 8)}`,
    attestationTypes: ["basic_full"],
    attestationRootCertificates: roots.map((r) => r.der.toString("base64")),
  },
  statusReports: statuses.map((status, i) => ({ status, effectiveDate: `2026-0${i + 1}-01` })),
  timeOfLastStatusChange: "2026-01-01",
});

/** An MDS3 BLOB (a JWT, ES256) signed with `signer`'s key, its x5c = [signer, ...chain]. */
export async function signMetadataBlob(
  signer: Issued,
  payload: { no: number; entries: unknown[]; nextUpdate?: string },
  chain: readonly Issued[] = [],
): Promise<string> {
  return new SignJWT({ legalHeader: "test", nextUpdate: "2027-01-01", ...payload })
    .setProtectedHeader({
      alg: "ES256",
      typ: "JWT",
      x5c: [signer, ...chain].map((c) => c.der.toString("base64")),
    })
    .sign(signer.key);
}

/** Breaks the signature an `attest` hook makes (its last byte flipped). */
export const breakAttestationSignature =
  (attest: NonNullable<CreateOptions["attest"]>): NonNullable<CreateOptions["attest"]> =>
  (...args) => {
    const statement = attest(...args);
    const sig = Buffer.from(statement.attStmt.get("sig") as Buffer);
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 0xff;
    statement.attStmt.set("sig", sig);
    return statement;
  };
