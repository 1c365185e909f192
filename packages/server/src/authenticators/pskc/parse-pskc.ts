import { createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { XMLParser } from "fast-xml-parser";
import { MAX_HOTP_COUNTER } from "../hotp/hotp-type.ts";
import type { OathAlgorithm } from "../oath/oath-code.ts";

/**
 * PSKC (RFC 6030) key containers, as hardware-token vendors ship them: one KeyPackage per token
 * with its serial, algorithm (HOTP or TOTP), response length, counter or time step, and secret,
 * either in clear or encrypted with a pre-shared key (AES-CBC, IV first) and authenticated with
 * HMAC-SHA1 under a MAC key that is itself encrypted with the pre-shared key.
 */
export interface PskcToken {
  readonly serial: string;
  readonly type: "hotp" | "totp";
  readonly algorithm: OathAlgorithm;
  readonly digits: number;
  readonly period: number | null;
  readonly counter: number;
  readonly secret: Buffer;
}

export type PskcEntry =
  | { readonly ok: true; readonly token: PskcToken }
  | { readonly ok: false; readonly serial: string; readonly reason: string };

export class PskcError extends Error {}

type Node = Record<string, unknown>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === "KeyPackage",
});

const ciphers: Record<string, string> = {
  "http://www.w3.org/2001/04/xmlenc#aes128-cbc": "aes-128-cbc",
  "http://www.w3.org/2001/04/xmlenc#aes192-cbc": "aes-192-cbc",
  "http://www.w3.org/2001/04/xmlenc#aes256-cbc": "aes-256-cbc",
};

const text = (node: unknown): string | undefined =>
  typeof node === "string"
    ? node.trim()
    : typeof node === "object" && node !== null
      ? text((node as Node)["#text"])
      : undefined;
const child = (node: unknown, name: string): Node | undefined => {
  const value = typeof node === "object" && node !== null ? (node as Node)[name] : undefined;
  return typeof value === "object" && value !== null
    ? (value as Node)
    : value === undefined
      ? undefined
      : { "#text": value };
};

export function parsePskc(xml: string, preSharedKey?: Buffer): PskcEntry[] {
  let document: Node;
  try {
    document = parser.parse(xml, true) as Node;
  } catch (error) {
    throw new PskcError(`not well-formed XML: ${(error as Error).message}`);
  }
  const container = child(document, "KeyContainer");
  if (container === undefined) throw new PskcError("no KeyContainer element: not a PSKC document");
  const macKey = readMacKey(container, preSharedKey);
  const packages = (container.KeyPackage as Node[] | undefined) ?? [];
  return packages.map((pkg) => {
    const key = child(pkg, "Key");
    const serial = text(child(child(pkg, "DeviceInfo"), "SerialNo")) ?? String(key?.["@Id"] ?? "");
    try {
      return { ok: true as const, token: readToken(serial, key, preSharedKey, macKey) };
    } catch (error) {
      return { ok: false as const, serial, reason: (error as Error).message };
    }
  });
}

function readMacKey(container: Node, preSharedKey: Buffer | undefined): Buffer | undefined {
  const macKey = child(child(container, "MACMethod"), "MACKey");
  if (macKey === undefined) return undefined;
  if (preSharedKey === undefined)
    throw new PskcError("the container is encrypted: a pre-shared key is needed");
  try {
    return decrypt(macKey, preSharedKey);
  } catch (error) {
    throw new PskcError(`the MAC key ${(error as Error).message}`);
  }
}

function decrypt(encrypted: Node, preSharedKey: Buffer): Buffer {
  const method = String(child(encrypted, "EncryptionMethod")?.["@Algorithm"] ?? "");
  const cipher = ciphers[method];
  if (cipher === undefined) throw new Error(`unsupported encryption ${method || "(none)"}`);
  const data = Buffer.from(text(child(child(encrypted, "CipherData"), "CipherValue")) ?? "", "base64");
  if (data.length < 32) throw new Error("encrypted value too short");
  try {
    const decipher = createDecipheriv(cipher, preSharedKey, data.subarray(0, 16));
    return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
  } catch {
    throw new Error("cannot decrypt: wrong pre-shared key");
  }
}

function readToken(
  serial: string,
  key: Node | undefined,
  preSharedKey: Buffer | undefined,
  macKey: Buffer | undefined,
): PskcToken {
  if (serial === "" || key === undefined) throw new Error("no serial number or no Key");
  const algorithmUri = String(key["@Algorithm"] ?? "");
  const type = algorithmUri.endsWith(":hotp") ? "hotp" : algorithmUri.endsWith(":totp") ? "totp" : undefined;
  if (type === undefined) throw new Error(`unsupported algorithm ${algorithmUri || "(none)"}`);
  const parameters = child(key, "AlgorithmParameters");
  const format = child(parameters, "ResponseFormat");
  const digits = Number(format?.["@Length"] ?? 6);
  if (format?.["@Encoding"] !== undefined && format["@Encoding"] !== "DECIMAL")
    throw new Error("only decimal codes are supported");
  const suite = (text(child(parameters, "Suite")) ?? "HMAC-SHA1").toUpperCase();
  const algorithm: OathAlgorithm = suite.includes("SHA512")
    ? "SHA512"
    : suite.includes("SHA256")
      ? "SHA256"
      : "SHA1";
  const data = child(key, "Data");
  const secret = readSecret(child(data, "Secret"), preSharedKey, macKey);
  const counter = readCounter(text(child(child(data, "Counter"), "PlainValue")) ?? "0");
  const period =
    type === "totp" ? Number(text(child(child(data, "TimeInterval"), "PlainValue")) ?? 30) : null;
  return { serial, type, algorithm, digits, period, counter, secret };
}

/**
 * Decimal digits only (Number() would also take "1e300", "0x10" and " "), and at most the bound
 * the API has: a larger counter would stop the HOTP look-ahead from counting.
 */
function readCounter(value: string): number {
  const counter = /^\d{1,20}$/.test(value) ? Number(value) : Number.NaN;
  if (!(counter <= MAX_HOTP_COUNTER))
    throw new Error(`invalid counter: not a whole number from 0 to ${MAX_HOTP_COUNTER}`);
  return counter;
}

function readSecret(
  secret: Node | undefined,
  preSharedKey: Buffer | undefined,
  macKey: Buffer | undefined,
): Buffer {
  if (secret === undefined) throw new Error("no secret");
  const plain = text(child(secret, "PlainValue"));
  if (plain !== undefined) return Buffer.from(plain, "base64");
  const encrypted = child(secret, "EncryptedValue");
  if (encrypted === undefined) throw new Error("no secret value");
  if (preSharedKey === undefined) throw new Error("the secret is encrypted: a pre-shared key is needed");
  const mac = text(child(secret, "ValueMAC"));
  if (macKey !== undefined) {
    // The MAC covers the encrypted value (IV and ciphertext) and must be checked before decrypting.
    const cipherValue = Buffer.from(
      text(child(child(encrypted, "CipherData"), "CipherValue")) ?? "",
      "base64",
    );
    const expected = createHmac("sha1", macKey).update(cipherValue).digest();
    const given = Buffer.from(mac ?? "", "base64");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new Error("the secret's MAC does not verify");
  }
  return decrypt(encrypted, preSharedKey);
}
