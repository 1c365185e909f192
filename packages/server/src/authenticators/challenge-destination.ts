import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Destinations of challenge devices, normalised before they are sealed so that the same number or
 * address is always the same text (the anti-pumping limits count per destination).
 *
 * Phone numbers: international form only (a leading "+" and the country code, as E.164), checked
 * against libphonenumber's full metadata (`/max`: number ranges per country, not only lengths), so a
 * number no operator can route is refused before any message costs money. Spaces, dashes, dots and
 * parentheses people type are dropped; anything else (letters, extensions) is refused.
 */
export function normalisePhoneNumber(raw: unknown, field: string): string {
  const refuse = (why: string) =>
    new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: `${field} ${why}: a phone number in international E.164 form, such as +14155552671`,
      field,
    });
  if (typeof raw !== "string" || raw.length > 40) throw refuse("must be");
  const compact = raw.replace(/[\s().-]/g, "");
  if (!/^\+[1-9]\d{6,14}$/.test(compact)) throw refuse("must be");
  const parsed = parsePhoneNumberFromString(compact);
  if (parsed === undefined || !parsed.isValid() || parsed.number !== compact)
    throw refuse("is not a number in use in any country's numbering plan; it must be");
  return parsed.number;
}

/** ISO 3166-1 alpha-2 country of an E.164 number, or undefined when it has none (+800, +882, …). */
export function phoneCountry(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * An e-mail address in the plain form SMTP servers take everywhere (dot-atom local part of at most
 * 64 characters, a DNS domain), the domain lower-cased; quoted local parts and address literals
 * are refused rather than guessed at.
 */
export function normaliseEmailAddress(raw: unknown, field: string): string {
  const refuse = () =>
    new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: `${field} must be an e-mail address such as alice@example.com`,
      field,
    });
  if (typeof raw !== "string" || raw.length > 254) throw refuse();
  const at = raw.lastIndexOf("@");
  if (at < 1) throw refuse();
  const local = raw.slice(0, at);
  const domain = raw.slice(at + 1).toLowerCase();
  if (local.length > 64 || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) throw refuse();
  return `${local}@${domain}`;
}

/** The destination with most of it hidden, for answers and pages: +1•••••••671, a•••@example.com. */
export function maskDestination(destination: string): string {
  const at = destination.lastIndexOf("@");
  if (at > 0) return `${destination.slice(0, 1)}•••@${destination.slice(at + 1)}`;
  return `${destination.slice(0, 2)}${"•".repeat(Math.max(0, destination.length - 5))}${destination.slice(-3)}`;
}
