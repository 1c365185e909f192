import { randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";

/** Serial numbers: 1–64 of letters, digits, '-', '_', '.'; generated ones read like `TOTP0A1B2C3D`. */
const serialPattern = /^[A-Za-z0-9._-]{1,64}$/;

export function generateSerial(type: string): string {
  return `${type.toUpperCase()}${randomBytes(5).toString("hex").toUpperCase()}`;
}

/** SerialNumberNotSpecified for an empty serial, BogusSerialNumber for a malformed one. */
export function requireSerial(raw: unknown, field: string): string {
  if (raw === undefined || raw === null || raw === "") {
    throw new TesseraError(ApiReturnCode.SerialNumberNotSpecified, {
      message: `${field} is required`,
      field,
    });
  }
  if (typeof raw !== "string" || !serialPattern.test(raw)) {
    throw new TesseraError(ApiReturnCode.BogusSerialNumber, {
      message: `${field} must be 1–64 letters, digits, '-', '_' or '.'`,
      field,
    });
  }
  return raw;
}
