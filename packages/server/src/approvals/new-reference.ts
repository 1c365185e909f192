import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: no I, L, O, U

/**
 * A new approval request's reference: 16 Crockford base32 characters (80 random bits), readable
 * aloud and unguessable, unique by the table's constraint. Callers may also supply their own
 * reference for transactions (approvals/), checked against referencePattern.
 */
export function newReference(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let out = "";
  for (let i = 0; i < 16; i += 1) {
    out = ALPHABET[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

/** What a caller-chosen reference may look like: 1–64 letters, digits, '-', '_', '.'. */
export const referencePattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
