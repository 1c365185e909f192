import { createPublicKey } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Tenant } from "../../../tenants/tenant-store.ts";
import { requireValidU2fAppId } from "../relying-party.ts";

/**
 * A legacy U2F registration as the previous U2F server kept it (FIDO U2F Raw Message Formats
 * v1.2 §4.3): the key handle, the user's public key as an uncompressed P-256 point, the AppID it
 * was registered under, the protocol version and the last counter seen. Each part is checked
 * here, before anything is stored, and refused with the code the issue names for it.
 */
export interface U2fRegistrationInput {
  readonly keyHandle: string;
  readonly publicKey: string;
  readonly appId: string;
  readonly version: string;
}

export interface U2fRegistration {
  /** The key handle, canonical base64url: the credential id the browser sends back. */
  readonly credentialId: string;
  /** The public key as a COSE_Key (EC2, ES256, P-256), as a registered WebAuthn key stores it. */
  readonly cosePublicKey: Uint8Array;
  readonly appId: string;
}

/** The raw message gives the key handle's length in one byte: 1 to 255 bytes are possible. */
const MAX_KEY_HANDLE_BYTES = 255;
const base64url = /^[A-Za-z0-9_-]*$/;

/**
 * Bytes of a base64url field, or undefined when it is not canonical base64url (padding, other
 * alphabets and stray trailing bits are refused: two spellings of one key handle would be two
 * credential ids for one key).
 */
function decoded(text: string): Buffer | undefined {
  if (!base64url.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}

function keyHandleOf(text: string): string {
  const bytes = decoded(text);
  if (bytes === undefined || bytes.length < 1 || bytes.length > MAX_KEY_HANDLE_BYTES)
    throw new TesseraError(ApiReturnCode.BogusPhysicalDeviceId, {
      message: `body.keyHandle must be base64url of 1 to ${MAX_KEY_HANDLE_BYTES} bytes (a U2F key handle)`,
      field: "body.keyHandle",
    });
  return text;
}

/**
 * The COSE_Key of an uncompressed P-256 point (0x04 ‖ x ‖ y). Node's key import checks that the
 * point is on the curve: a point off it would let a forged signature verify (invalid-curve
 * attacks), so it is refused here rather than at the first sign-in.
 */
function coseKeyOf(text: string): Uint8Array {
  const point = decoded(text);
  const refused = () =>
    new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey, {
      message: "body.publicKey must be an uncompressed P-256 point (65 bytes, 0x04 ‖ x ‖ y), base64url",
      field: "body.publicKey",
    });
  if (point === undefined || point.length !== 65 || point[0] !== 0x04) throw refused();
  const x = point.subarray(1, 33);
  const y = point.subarray(33);
  try {
    const jwk = { kty: "EC", crv: "P-256", x: x.toString("base64url"), y: y.toString("base64url") };
    createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    throw refused();
  }
  const cose = new Map<number, unknown>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, new Uint8Array(x)],
    [-3, new Uint8Array(y)],
  ]);
  return isoCBOR.encode(cose as never);
}

/**
 * The AppID: an https URL, checked as the tenant setting is (relying-party.ts). When the tenant
 * names its AppID (webauthnU2fAppId), only that one is accepted. When it does not, nothing is
 * imported: the AppID decides which relying-party hash a signature covers, so the operator states
 * once which AppID the previous server used instead of each import choosing its own (fail closed).
 */
function appIdOf(text: string, tenant: Tenant): string {
  requireValidU2fAppId(text, "body.appId");
  const refused = (message: string) =>
    new TesseraError(ApiReturnCode.BogusFIDOAppId, { message, field: "body.appId" });
  if (tenant.webauthnU2fAppId === null)
    throw refused(
      "the tenant has no webauthnU2fAppId: set it to the AppID of the previous U2F server before importing keys",
    );
  if (text !== tenant.webauthnU2fAppId)
    throw refused(`body.appId must be the tenant's webauthnU2fAppId (${tenant.webauthnU2fAppId})`);
  return text;
}

/** Checks a U2F registration of `tenant`'s; each refusal names its field. */
export function checkU2fRegistration(tenant: Tenant, input: U2fRegistrationInput): U2fRegistration {
  if (input.version !== "U2F_V2")
    throw new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidVersion, {
      message: 'body.version must be "U2F_V2" (the only version of the U2F protocol with registrations)',
      field: "body.version",
    });
  return {
    credentialId: keyHandleOf(input.keyHandle),
    cosePublicKey: coseKeyOf(input.publicKey),
    appId: appIdOf(input.appId, tenant),
  };
}
