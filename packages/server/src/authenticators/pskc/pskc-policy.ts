import { readInteger } from "./pskc-integer.ts";
import { attribute, type Node, text } from "./pskc-xml.ts";

/**
 * A key's Policy (RFC 6030 §5). RFC 6030 says a receiver that does not understand a policy element
 * must not use the key: so an unknown element or attribute, a key for another usage, or a PIN the
 * server would have to check refuses the key, never silently widens what it may do.
 */
export interface KeyPolicy {
  /** Epoch milliseconds; null when the file gives none. */
  readonly start: number | null;
  readonly expires: number | null;
  /** NumberOfTransactions: how many codes the key may be used for. */
  readonly maxUses: number | null;
}

const POLICY_ELEMENTS = new Set(["StartDate", "ExpiryDate", "NumberOfTransactions", "KeyUsage", "PINPolicy"]);
const PIN_ATTRIBUTES = new Set([
  "PINKeyId",
  "PINUsageMode",
  "MaxFailedAttempts",
  "MinLength",
  "MaxLength",
  "PINEncoding",
]);
const MAX_TRANSACTIONS = 2 ** 31 - 1;

export function readPolicy(policy: Node | undefined): KeyPolicy {
  if (policy === undefined) return { start: null, expires: null, maxUses: null };
  for (const name of Object.keys(policy))
    if (!name.startsWith("@") && !name.startsWith("#") && !POLICY_ELEMENTS.has(name))
      throw new Error(
        `unknown Policy element ${name}: the key's use may be restricted in a way Tessera cannot honour`,
      );
  const usages = ([] as unknown[]).concat(policy.KeyUsage ?? []).map((usage) => text(usage));
  if (usages.length > 0 && !usages.includes("OTP"))
    throw new Error(`KeyUsage ${usages.join(", ")}: not a one-time-password key`);
  readPinPolicy(policy.PINPolicy);
  const transactions = text(policy.NumberOfTransactions);
  return {
    start: optionalDate(policy.StartDate, "StartDate"),
    expires: optionalDate(policy.ExpiryDate, "ExpiryDate"),
    maxUses: readInteger(transactions, "NumberOfTransactions", 1, MAX_TRANSACTIONS) ?? null,
  };
}

function readPinPolicy(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("PINPolicy is not one element");
  const pin = value as Node;
  for (const name of Object.keys(pin)) {
    if (!name.startsWith("@") || !PIN_ATTRIBUTES.has(name.slice(1)))
      throw new Error(
        `unknown PINPolicy ${name.startsWith("@") ? "attribute" : "element"} ${name.replace("@", "")}`,
      );
  }
  for (const name of ["MaxFailedAttempts", "MinLength", "MaxLength"])
    readInteger(attribute(pin, name), `PINPolicy ${name}`, 0, 1000);
  // Local: the device checks its own PIN. Any other mode would need the server to check a PIN.
  const mode = attribute(pin, "PINUsageMode") ?? "Local";
  if (mode !== "Local") throw new Error(`PINUsageMode ${mode}: a PIN checked by the server is not supported`);
}

export function optionalDate(node: unknown, label: string): number | null {
  const value = text(node);
  return value === undefined ? null : readDate(value, label);
}

function readDate(value: string, label: string): number {
  const time = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (Number.isNaN(time))
    throw new Error(`${label} ${value.slice(0, 40)} is not an xs:dateTime with a time zone`);
  return time;
}
