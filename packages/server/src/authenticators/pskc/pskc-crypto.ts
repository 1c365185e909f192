import { createDecipheriv, createHmac, pbkdf2, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { attribute, child, type Node, text } from "./pskc-xml.ts";

/**
 * The encryption and MAC algorithms a PSKC file may name (RFC 6030 §6, XML Encryption and
 * RFC 6931 URIs). Anything else is refused by its URI: a value that cannot be decrypted or a MAC
 * that cannot be computed is never skipped.
 */
interface Cipher {
  readonly name: string;
  readonly keyBytes: number;
  /** CBC ciphers carry their IV in front of the ciphertext; key wraps have none. */
  readonly ivBytes: number;
  /** A key wrap's fixed initial value (RFC 3394 §2.2.3, RFC 5649 §3), which OpenSSL wants given. */
  readonly wrapIv?: Buffer;
}
const KW = Buffer.from("a6a6a6a6a6a6a6a6", "hex");
const KWP = Buffer.from("a65959a6", "hex");
const XENC = "http://www.w3.org/2001/04/xmlenc#";
const XENC11 = "http://www.w3.org/2009/xmlenc11#";
const MORE = "http://www.w3.org/2001/04/xmldsig-more#";
const ciphers: Record<string, Cipher> = {
  [`${XENC}aes128-cbc`]: { name: "aes-128-cbc", keyBytes: 16, ivBytes: 16 },
  [`${XENC}aes192-cbc`]: { name: "aes-192-cbc", keyBytes: 24, ivBytes: 16 },
  [`${XENC}aes256-cbc`]: { name: "aes-256-cbc", keyBytes: 32, ivBytes: 16 },
  [`${XENC}tripledes-cbc`]: { name: "des-ede3-cbc", keyBytes: 24, ivBytes: 8 },
  [`${XENC}kw-aes128`]: { name: "id-aes128-wrap", keyBytes: 16, ivBytes: 0, wrapIv: KW },
  [`${XENC}kw-aes192`]: { name: "id-aes192-wrap", keyBytes: 24, ivBytes: 0, wrapIv: KW },
  [`${XENC}kw-aes256`]: { name: "id-aes256-wrap", keyBytes: 32, ivBytes: 0, wrapIv: KW },
  [`${XENC11}kw-aes-128-pad`]: { name: "id-aes128-wrap-pad", keyBytes: 16, ivBytes: 0, wrapIv: KWP },
  [`${XENC11}kw-aes-192-pad`]: { name: "id-aes192-wrap-pad", keyBytes: 24, ivBytes: 0, wrapIv: KWP },
  [`${XENC11}kw-aes-256-pad`]: { name: "id-aes256-wrap-pad", keyBytes: 32, ivBytes: 0, wrapIv: KWP },
  [`${XENC}kw-tripledes`]: { name: "des3-wrap", keyBytes: 24, ivBytes: 0 },
  [`${MORE}camellia128-cbc`]: { name: "camellia-128-cbc", keyBytes: 16, ivBytes: 16 },
  [`${MORE}camellia192-cbc`]: { name: "camellia-192-cbc", keyBytes: 24, ivBytes: 16 },
  [`${MORE}camellia256-cbc`]: { name: "camellia-256-cbc", keyBytes: 32, ivBytes: 16 },
};
// Vendors write some URIs in the other W3C namespace; the algorithm is the same.
for (const name of ["camellia128-cbc", "camellia192-cbc", "camellia256-cbc"])
  ciphers[`${XENC}${name}`] = ciphers[`${MORE}${name}`] as Cipher;

const macs: Record<string, string> = {
  "http://www.w3.org/2000/09/xmldsig#hmac-sha1": "sha1",
  [`${MORE}hmac-sha1`]: "sha1",
  [`${MORE}hmac-sha224`]: "sha224",
  [`${MORE}hmac-sha256`]: "sha256",
  [`${MORE}hmac-sha384`]: "sha384",
  [`${MORE}hmac-sha512`]: "sha512",
};

/** CBC modes need a MAC; key wraps (RFC 3394/5649/3217) authenticate themselves. */
export const isCbc = (uri: string | undefined): boolean => (ciphers[uri ?? ""]?.ivBytes ?? 0) > 0;

/** The hash of a MAC method URI, or an error naming the URI. */
export function macHash(uri: string | undefined): string {
  const hash = macs[uri ?? ""];
  if (hash === undefined) throw new Error(`unsupported MAC algorithm ${uri || "(none given)"}`);
  return hash;
}

/** The base64 CipherValue of an EncryptedValue (or MACKey) element. */
export const cipherValue = (encrypted: Node): Buffer =>
  Buffer.from(text(child(child(encrypted, "CipherData"), "CipherValue")) ?? "", "base64");

/** Constant-time: the MAC of the encrypted bytes (IV and ciphertext) under the file's MAC key. */
export function verifyMac(hash: string, key: Buffer, data: Buffer, given: string): boolean {
  const expected = createHmac(hash, key).update(data).digest();
  const mac = Buffer.from(given, "base64");
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}

export function decrypt(encrypted: Node, given: Buffer): Buffer {
  const uri = attribute(child(encrypted, "EncryptionMethod"), "Algorithm");
  if (uri === undefined) throw new Error("no EncryptionMethod algorithm");
  const cipher = ciphers[uri];
  if (cipher === undefined) throw new Error(`unsupported encryption algorithm ${uri}`);
  // Two-key 3DES (K1 K2 K1), as vendors' 128-bit 3DES keys are.
  const key =
    cipher.name === "des-ede3-cbc" && given.length === 16
      ? Buffer.concat([given, given.subarray(0, 8)])
      : given;
  if (key.length !== cipher.keyBytes)
    throw new Error(`${uri} needs a ${cipher.keyBytes * 8}-bit key, the key given has ${key.length * 8}`);
  const data = cipherValue(encrypted);
  if (data.length <= cipher.ivBytes) throw new Error("encrypted value too short");
  try {
    const iv = cipher.ivBytes === 0 ? (cipher.wrapIv ?? null) : data.subarray(0, cipher.ivBytes);
    const decipher = createDecipheriv(cipher.name, key, iv);
    return Buffer.concat([decipher.update(data.subarray(cipher.ivBytes)), decipher.final()]);
  } catch {
    throw new Error("cannot decrypt: wrong key or damaged value");
  }
}

const MAX_ITERATIONS = 1_000_000;

/** RFC 6030 §6.2: the encryption key derived from a password with PBKDF2 (HMAC-SHA1 by default). */
export async function deriveKey(derived: Node, password: string): Promise<Buffer> {
  const method = child(derived, "KeyDerivationMethod");
  const uri = attribute(method, "Algorithm");
  if (uri !== "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2")
    throw new Error(`unsupported key derivation ${uri || "(none given)"}`);
  const params = child(method, "PBKDF2-params");
  const salt = text(child(child(params, "Salt"), "Specified"));
  const iterations = Number(text(child(params, "IterationCount")) ?? Number.NaN);
  const length = Number(text(child(params, "KeyLength")) ?? Number.NaN);
  if (salt === undefined) throw new Error("PBKDF2 without a salt");
  // Bounded so that a file cannot make the server hash for hours.
  if (
    !/^\d{1,7}$/.test(text(child(params, "IterationCount")) ?? "") ||
    iterations < 1 ||
    iterations > MAX_ITERATIONS
  )
    throw new Error(`PBKDF2 IterationCount is not a whole number from 1 to ${MAX_ITERATIONS}`);
  if (!(length === 16 || length === 24 || length === 32))
    throw new Error("PBKDF2 KeyLength is not 16, 24 or 32");
  const prf = attribute(child(params, "PRF"), "Algorithm");
  const prfHash = prf === undefined ? "sha1" : /#hmac-(sha(?:1|224|256|384|512))$/.exec(prf)?.[1];
  if (prfHash === undefined) throw new Error(`unsupported PBKDF2 PRF ${prf}`);
  // Off the event loop: deriving the key must not stall the server's other requests.
  return await promisify(pbkdf2)(password, Buffer.from(salt, "base64"), iterations, length, prfHash);
}
