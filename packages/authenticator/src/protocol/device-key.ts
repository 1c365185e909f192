import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";

export const keyAlgorithms = ["ed25519", "p256"] as const;
export type KeyAlgorithm = (typeof keyAlgorithms)[number];

/** A new key pair: the private key as PKCS#8 DER and the public key as SPKI DER, both base64url. */
export function generateDeviceKey(algorithm: KeyAlgorithm): { privateKey: string; publicKey: string } {
  const pair =
    algorithm === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKey: pair.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64url"),
    publicKey: pair.publicKey.export({ format: "der", type: "spki" }).toString("base64url"),
  };
}

export function loadPrivateKey(pkcs8: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8, "base64url"), format: "der", type: "pkcs8" });
}

export function publicKeyOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64url");
}

/**
 * The device's signature, base64url: Ed25519 as is, P-256 as ECDSA/SHA-256 in IEEE P1363 form
 * (r‖s, what WebCrypto produces on a phone, and what the server expects).
 */
export function signWith(algorithm: KeyAlgorithm, key: KeyObject, data: Buffer): string {
  const signature =
    algorithm === "ed25519"
      ? sign(null, data, key)
      : sign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
  return signature.toString("base64url");
}
