import { ApiReturnCode, TesseraError } from "@tessera/codes";

/**
 * Destinations of challenge devices. FOUNDATION STUB (issue 14): the challenge-devices part
 * replaces these bodies (E.164 through libphonenumber-js, the country it belongs to, e-mail syntax).
 */
export function normalisePhoneNumber(raw: unknown, field: string): string {
  if (typeof raw !== "string" || !/^\+[1-9]\d{6,14}$/.test(raw))
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: "phone number must be in E.164 form, such as +447700900123",
      field,
    });
  return raw;
}

export function normaliseEmailAddress(raw: unknown, field: string): string {
  if (typeof raw !== "string" || !/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(raw))
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, { message: "not an e-mail address", field });
  return raw;
}

/** ISO 3166-1 alpha-2 country of an E.164 number, or undefined when it has none (FOUNDATION STUB). */
export function phoneCountry(_e164: string): string | undefined {
  return undefined;
}
