import type { RequestItem } from "../protocol/request-item.ts";
import type { Account } from "../state/account.ts";

/** The fields a transaction shows first; every other detail follows in key order. */
const leadingDetails = ["payee", "amount", "currency"];

/**
 * A value as the terminal shows it: a plain string as is, anything else (and any string holding
 * control characters, which could move the cursor or recolour the screen and so hide or fake a
 * detail) as JSON, where such characters are escaped. What is shown is exactly what is signed.
 */
export function shown(value: unknown): string {
  if (
    typeof value === "string" &&
    !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(value) &&
    value.trim() === value &&
    value !== ""
  )
    return value;
  return JSON.stringify(value) ?? String(value);
}

function lines(entries: [string, unknown][]): string[] {
  const width = Math.max(0, ...entries.map(([key]) => shown(key).length)) + 1;
  return entries.map(([key, value]) => `  ${`${shown(key)}:`.padEnd(width + 1)}${shown(value)}`);
}

/** A request as a block of text: what it is, for whom, from where, and every detail. */
export function renderRequest(account: Account, item: RequestItem): string {
  const title =
    item.kind === "sign-in"
      ? "Sign-in request"
      : item.kind === "transaction"
        ? "Transaction"
        : shown(item.kind);
  const header = [
    `${title} ${shown(item.reference)}`,
    `  for ${shown(account.username)} at ${shown(account.tenant)} (device ${account.serial}), expires ${item.expiresAt}`,
  ];
  const context = lines(Object.entries(item.context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const details = item.details === null ? [] : detailLines(item.details);
  const hint =
    item.kind === "sign-in"
      ? "  To approve, type the number shown on the sign-in screen."
      : item.kind === "transaction"
        ? "  Approve only if every detail above is what you are doing."
        : "";
  return `${[...header, ...context, ...(details.length > 0 ? ["  details:", ...details] : []), hint].filter((line) => line !== "").join("\n")}\n`;
}

function detailLines(details: Readonly<Record<string, unknown>>): string[] {
  const keys = Object.keys(details);
  const ordered = [
    ...leadingDetails.filter((key) => keys.includes(key)),
    ...keys.filter((key) => !leadingDetails.includes(key)).sort(),
  ];
  return lines(ordered.map((key) => [key, details[key]])).map((line) => `  ${line}`);
}
