import { type KeyAlgorithm, keyAlgorithms } from "../protocol/device-key.ts";

/**
 * One enrolled push device, as kept in the state directory (`<serial>.json`, mode 0600): the
 * server it talks to, who it belongs to, its private key, and the last Tessera-Timestamp it
 * sent (the server accepts only growing timestamps per device, so two commands in the same
 * millisecond must not reuse one).
 */
export interface Account {
  readonly version: 1;
  readonly serial: string;
  readonly username: string;
  readonly tenant: string;
  /** The server's base URL (the enrolment link without /app/v1/enrolments/<code>). */
  readonly server: string;
  readonly algorithm: KeyAlgorithm;
  /** PKCS#8 DER, base64url. */
  readonly privateKey: string;
  /** SPKI DER, base64url. */
  readonly publicKey: string;
  readonly enrolledAt: string;
  readonly lastTimestamp: number;
}

/**
 * A serial becomes a file name: only the characters a server serial has (never `/` or `..`), so
 * a hostile server cannot make the app write outside its state directory.
 */
export const serialPattern = /^[A-Za-z0-9_-]{1,64}$/;

const isString = (value: unknown): value is string => typeof value === "string" && value !== "";

/** The account in `text`, or a message saying what is wrong with it. */
export function parseAccount(text: string): Account | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "is not JSON";
  }
  if (value === null || typeof value !== "object") return "is not an account";
  const a = value as Record<string, unknown>;
  if (a.version !== 1) return "has an unknown version";
  if (!isString(a.serial) || !serialPattern.test(a.serial)) return "has no valid serial";
  for (const field of ["username", "tenant", "server", "privateKey", "publicKey", "enrolledAt"])
    if (!isString(a[field])) return `has no ${field}`;
  if (!keyAlgorithms.includes(a.algorithm as KeyAlgorithm)) return "has an unknown algorithm";
  if (!Number.isSafeInteger(a.lastTimestamp)) return "has no lastTimestamp";
  return a as unknown as Account;
}
