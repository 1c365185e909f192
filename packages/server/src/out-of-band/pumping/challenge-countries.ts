import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { isSupportedCountry } from "libphonenumber-js/max";
import { phoneCountry } from "../../authenticators/challenge-destination.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";

/**
 * The tenant's allow-list of countries for codes by SMS and voice (`challengeCountries`). SMS
 * pumping makes money from messages to numbers in countries with expensive termination, so a phone
 * destination is refused unless its country is listed, and the list starts empty: nothing is sent
 * by phone until an administrator decides where the tenant's users are (fail closed). E-mail costs
 * nothing per message abroad and has no country, so it is not listed here.
 */
const SETTING_HINT = "the tenant setting challengeCountries (PATCH /v1/tenant)";

/** Why codes may not go to this E.164 number for the tenant, or undefined when its country is allowed. */
export function countryRefusal(tenant: Tenant, e164: string): string | undefined {
  const allowed = tenant.challengeCountries;
  if (allowed.length === 0)
    return `codes are sent by SMS or voice only to countries listed in ${SETTING_HINT}, and it lists none yet`;
  const country = phoneCountry(e164);
  // Non-geographic numbers (+800, +808, +88x satellite and global services) belong to no country
  // an administrator could allow; they are also where much pumping terminates.
  if (country === undefined)
    return `the number belongs to no country (a global or satellite service number); codes are sent only to countries listed in ${SETTING_HINT}`;
  if (!allowed.includes(country))
    return `the number is in ${country}, which is not listed in ${SETTING_HINT}: ${allowed.join(", ")}`;
  return undefined;
}

/**
 * For binding a phone device (POST /v1/authenticators): InvalidDeviceConfig naming `field` when
 * the number's country is not allowed, so a device that could never be sent a code is not created.
 */
export function requireAllowedCountry(tenant: Tenant, e164: string, field: string): void {
  const refusal = countryRefusal(tenant, e164);
  if (refusal !== undefined)
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, { message: refusal, field });
}

/**
 * A new value of `challengeCountries` (the route's schema already checked it is a list of
 * distinct two-letter upper-case codes): every code must be an ISO 3166-1 alpha-2 country that
 * has telephone numbers (libphonenumber's metadata), else MalformedRequest naming the entry.
 */
export function requireKnownCountries(countries: readonly string[] | undefined): void {
  const bad = (countries ?? []).findIndex((country) => !isSupportedCountry(country));
  if (bad < 0) return;
  const field = `body.challengeCountries.${bad}`;
  throw new TesseraError(TesseraApiCode.MalformedRequest, {
    message: `${field} is not an ISO 3166-1 alpha-2 country code with telephone numbers, such as GB or US`,
    field,
  });
}

/** The JSON schema of `challengeCountries` in PATCH /v1/tenant. */
export const challengeCountriesSchema = {
  type: "array",
  maxItems: 300,
  uniqueItems: true,
  items: {
    type: "string",
    maxLength: 2,
    pattern: "^[A-Z]{2}$",
    "x-expect": "an ISO 3166-1 alpha-2 country code in capitals, such as GB",
  },
} as const;
