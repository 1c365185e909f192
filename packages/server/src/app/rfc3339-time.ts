/** The one RFC 3339 parser and formatter of the server, its API and its CLI. */

/** Past year 9999 a date no longer prints as RFC 3339, so nothing later is accepted anywhere. */
export const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * An RFC 3339 date-time with its offset (`2027-06-30T12:00:00Z`, `…T14:00:00.5+02:00`) as epoch
 * milliseconds, or undefined. Strict on purpose: `Date.parse` reads "-5" and "1.5" as dates in
 * 2001, which would create users that are expired already. Fractions beyond milliseconds are
 * truncated (RFC 3339 allows any number of digits; more than 30 is refused, as no clock has them); a leap second (:60) and anything outside 1970–9999 (the API's range) are refused.
 */
const pattern =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,30})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

export function parseRfc3339(text: string): number | undefined {
  const match = pattern.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [1, 2, 3, 4, 5, 6, 9, 10].map(
    (i) => Number(match[i] ?? 0),
  ) as [number, number, number, number, number, number, number, number];
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2027-02-30 over into March; a date that does not exist is refused instead.
  const date = new Date(local);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  // The first three digits are the milliseconds; the rest are cut (Number() of 30 digits would round up).
  const millis = Number((match[7] ?? ".").slice(1, 4).padEnd(3, "0"));
  const offset = (match[8] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const at = local + millis - offset;
  return at >= 0 && at <= MAX_EPOCH_MS ? at : undefined;
}

/** The wire form of a stored time: RFC 3339 in UTC with milliseconds (`2026-11-30T07:00:00.000Z`). */
export function formatRfc3339(at: number): string {
  return new Date(at).toISOString();
}
