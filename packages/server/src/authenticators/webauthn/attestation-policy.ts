import type { X509Certificate } from "node:crypto";
import type { VerifiedRegistrationResponse } from "@simplewebauthn/server";
import { decodeAttestationObject } from "@simplewebauthn/server/helpers";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { certificate, verifyChain } from "./metadata/certificate-chain.ts";
import { refusedStatuses } from "./metadata/metadata-blob.ts";
import { findMetadata, type MetadataRow } from "./metadata/metadata-store.ts";

export type RegistrationInfo = NonNullable<VerifiedRegistrationResponse["registrationInfo"]>;

/**
 * Attestation policy per tenant (webauthnAttestation):
 * - none: any key; no attestation is asked for (browsers then send fmt "none").
 * - any: the key must prove its make with a verified attestation certificate (x5c): fmt "none"
 *   and self attestation (signed by the credential's own key) are refused. When metadata of its
 *   AAGUID was imported, the chain must lead to that metadata's roots and a revoked or compromised
 *   status refuses it too.
 * - allow-list: as any, and the AAGUID must be one of webauthnAaguids and have imported metadata.
 *
 * Root certificates are NOT handed to @simplewebauthn/server: its SettingsService is one object for
 * the whole process, read by verifyRegistrationResponse after several awaits, so roots set for one
 * tenant's registration could be used by another tenant's running at the same time. It is left
 * with no roots for packed and fido-u2f (it then checks the attestation signature and the
 * certificate's fields only) and its MetadataService is never initialised; the chain is checked
 * here, after it, against the roots of the AAGUID's own metadata row, passed as an argument.
 */
export function attestationConveyance(tenant: Tenant): "none" | "direct" {
  return tenant.webauthnAttestation === "none" ? "none" : "direct";
}

const pem = (der: string) =>
  `-----BEGIN CERTIFICATE-----\n${der
    .replace(/\s+/g, "")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;

function rootsOf(row: MetadataRow | undefined): string[] {
  if (row === undefined) return [];
  const roots = (JSON.parse(row.statement) as { attestationRootCertificates?: unknown })
    .attestationRootCertificates;
  return Array.isArray(roots) ? roots.filter((r): r is string => typeof r === "string").map(pem) : [];
}

/** The root certificates (PEM) the attestation of a key with `aaguid` may chain to, from the imported FIDO metadata. */
export async function attestationRoots(ctx: ServerContext, aaguid: string): Promise<string[]> {
  return rootsOf(await findMetadata(ctx, aaguid));
}

const refuse = (message: string) =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationError, {
    message,
    field: "body.response",
  });

/** The attestation certificate chain (leaf first) of the statement, empty when there is none. */
function attestationChain(info: RegistrationInfo): X509Certificate[] {
  const statement = decodeAttestationObject(info.attestationObject).get("attStmt");
  let x5c: unknown = statement.get("x5c");
  const response = statement.get("response");
  if (info.fmt === "android-safetynet" && response !== undefined) {
    // SafetyNet carries its chain in the header of the JWS it signed.
    const header = Buffer.from(Buffer.from(response).toString("utf8").split(".")[0] ?? "", "base64url");
    x5c = (JSON.parse(header.toString("utf8")) as { x5c?: unknown }).x5c;
  }
  if (!Array.isArray(x5c)) return [];
  return x5c.map((c: Uint8Array | string) =>
    certificate(typeof c === "string" ? Buffer.from(c, "base64") : c),
  );
}

/**
 * Refuses (InvalidAttestationError) a registration that verifyRegistrationResponse verified but
 * the tenant's policy does not accept.
 */
export async function checkAttestation(
  ctx: ServerContext,
  tenant: Tenant,
  info: RegistrationInfo,
): Promise<void> {
  const policy = tenant.webauthnAttestation;
  if (policy === "none") return;
  let chain: X509Certificate[];
  try {
    chain = info.fmt === "none" ? [] : attestationChain(info);
  } catch {
    throw refuse("the attestation certificate cannot be read");
  }
  if (chain.length === 0)
    throw refuse(
      `the tenant requires a verified attestation; this key gave ${info.fmt === "none" ? "none" : "self attestation"}`,
    );
  const aaguid = info.aaguid.toLowerCase();
  if (policy === "allow-list" && !tenant.webauthnAaguids.some((a) => a.toLowerCase() === aaguid))
    throw refuse(`the authenticator model ${aaguid} is not on the tenant's allow-list`);
  const metadata = await findMetadata(ctx, aaguid);
  if (metadata === undefined) {
    if (policy === "allow-list")
      throw refuse(`no FIDO metadata was imported for the authenticator model ${aaguid}`);
    return;
  }
  if (refusedStatuses.includes(metadata.status))
    throw refuse(`the FIDO metadata reports the authenticator model ${aaguid} as ${metadata.status}`);
  try {
    verifyChain(chain, rootsOf(metadata).map(certificate), new Date(ctx.clock.now()));
  } catch (error) {
    throw refuse(
      `the attestation does not chain to the roots of ${aaguid}'s metadata: ${(error as Error).message}`,
    );
  }
}

/** The suffixes @simplewebauthn/server puts on what each attestation format's verifier throws. */
const statementFailure =
  /\((Packed(\|Full)?|FIDOU2F|TPM(\|\w+)?|Android Key|SafetyNet|Apple)\)$|^AAGUID ".*" was not expected value$|^None attestation had unexpected attestation statement$/;

/**
 * InvalidAttestationSig for what verifyRegistrationResponse threw when an attestation statement
 * does not verify (a certificate whose AAGUID extension names another model, a U2F key claiming an
 * AAGUID, a statement missing its signature or certificate...); undefined for anything else. The
 * registration part's mapping (webauthn-errors.ts) covers the rest: `verified: false` (a signature
 * that does not verify) as InvalidAttestationSig, an unknown format as InvalidVersion.
 */
export function attestationFailure(error: unknown): TesseraError | undefined {
  if (!(error instanceof Error) || !statementFailure.test(error.message)) return undefined;
  return new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationSig, {
    message: "the attestation statement does not verify",
    field: "body.response.response.attestationObject",
    cause: error,
  });
}
