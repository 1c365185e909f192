import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { sealSecret } from "../authenticators/authenticator-secret.ts";
import type { AuthenticatorRow } from "../authenticators/authenticator-store.ts";
import { columnAad } from "../secrets/encrypted-columns.ts";

/** The key algorithms a push device may hold (the row's `algorithm`). */
export const deviceKeyAlgorithms = ["ed25519", "p256"] as const;
export type DeviceKeyAlgorithm = (typeof deviceKeyAlgorithms)[number];

/**
 * What a push device's row keeps sealed in `secret_enc`: the app's public key, and the Web Push
 * subscription it registered. The public key is no secret, but the subscription's `auth` secret
 * and endpoint are (whoever holds them can push to the phone), and sealing keeps them under the
 * same key rotation as token seeds.
 */
export interface DeviceMaterial {
  /** SubjectPublicKeyInfo DER, base64url. */
  readonly publicKey: string;
  readonly webPush?: {
    readonly endpoint: string;
    readonly keys: { readonly p256dh: string; readonly auth: string };
  };
}

const aad = (id: string) => columnAad({ table: "authenticators", column: "secret_enc" }, id);

export const sealDeviceMaterial = (ctx: ServerContext, id: string, material: DeviceMaterial): string =>
  sealSecret(ctx, id, Buffer.from(JSON.stringify(material), "utf8"));

/** DeviceInvalid when the row cannot be opened (never the key service's detail). */
export function openDeviceMaterial(ctx: ServerContext, row: AuthenticatorRow): DeviceMaterial {
  try {
    return JSON.parse(ctx.keys.decrypt(row.secret_enc, aad(row.id)).toString("utf8")) as DeviceMaterial;
  } catch (error) {
    throw new TesseraError(ApiReturnCode.DeviceInvalid, {
      message: `push device ${row.serial} cannot be read`,
      cause: error,
    });
  }
}

export function devicePublicKey(material: DeviceMaterial): KeyObject {
  return createPublicKey({ key: Buffer.from(material.publicKey, "base64url"), format: "der", type: "spki" });
}

/**
 * Whether `signature` (base64url) is the device's over `data`: Ed25519 as is, P-256 as ECDSA with
 * SHA-256 in IEEE P1363 form (r‖s, 64 bytes: what WebCrypto produces on a phone). Any malformed
 * input is simply false.
 */
export function verifyDeviceSignature(
  key: KeyObject,
  algorithm: string,
  data: Buffer,
  signature: string,
): boolean {
  try {
    const bytes = Buffer.from(signature, "base64url");
    if (algorithm === "ed25519") return key.asymmetricKeyType === "ed25519" && verify(null, data, key, bytes);
    if (algorithm === "p256")
      return (
        key.asymmetricKeyType === "ec" && verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, bytes)
      );
    return false;
  } catch {
    return false;
  }
}
