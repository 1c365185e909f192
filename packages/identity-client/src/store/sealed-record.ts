import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SessionData } from "../session/session-data.ts";

/**
 * The store file's format: `TSS1` | 12-byte nonce | 16-byte GCM tag | ciphertext of the JSON
 * record. The associated data binds the file to its issuer and client id, so a file copied from
 * another store does not open here. Any change to any byte fails the tag.
 */
const MAGIC = Buffer.from("TSS1");

export function seal(key: Buffer, associated: string, plaintext: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.concat([MAGIC, Buffer.from(associated)]));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, cipher.getAuthTag(), body]);
}

/** The plaintext, or undefined when the file is not a record sealed with `key` for `associated`. */
export function open(key: Buffer, associated: string, sealed: Buffer): string | undefined {
  if (sealed.length < 32 || !sealed.subarray(0, 4).equals(MAGIC)) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(4, 16));
    decipher.setAAD(Buffer.concat([MAGIC, Buffer.from(associated)]));
    decipher.setAuthTag(sealed.subarray(16, 32));
    return Buffer.concat([decipher.update(sealed.subarray(32)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

/**
 * The record a store file holds, or undefined when it is not one for this issuer and client id:
 * bad JSON, another version, another store's record (a valid seal is not enough: its content must
 * be the record this store expects, else callers would trust fields that are not there).
 */
export function parseRecord(plain: string, issuer: string, clientId: string): SessionData | undefined {
  let record: unknown;
  try {
    record = JSON.parse(plain);
  } catch {
    return undefined;
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
  const { version, generation } = record as Partial<SessionData>;
  const fields = record as Partial<SessionData>;
  if (version !== 1 || fields.issuer !== issuer || fields.clientId !== clientId) return undefined;
  if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0) return undefined;
  return record as SessionData;
}
