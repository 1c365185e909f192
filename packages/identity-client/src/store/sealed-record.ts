import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

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
