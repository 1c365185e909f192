import { createHmac, type KeyObject } from "node:crypto";

/**
 * The OATH one-time code of RFC 4226 (HOTP): HMAC over the 8-byte big-endian moving factor,
 * dynamic truncation, modulo 10^digits. TOTP (RFC 6238) is the same with the time step as the
 * moving factor.
 */
export type OathAlgorithm = "SHA1" | "SHA256" | "SHA512";

const hmacName: Record<OathAlgorithm, string> = { SHA1: "sha1", SHA256: "sha256", SHA512: "sha512" };

/** `secret` may be a KeyObject: for many codes from one seed that is much cheaper than a Buffer. */
export function oathCode(
  secret: Buffer | KeyObject,
  movingFactor: number,
  algorithm: OathAlgorithm,
  digits: number,
): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(movingFactor));
  const mac = createHmac(hmacName[algorithm], secret).update(message).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The TOTP time step of `nowMs` (RFC 6238, T0 = 0). */
export function timeStep(nowMs: number, periodSeconds: number): number {
  return Math.floor(nowMs / 1000 / periodSeconds);
}
