import { randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";

/** Serial numbers: 1–64 of letters, digits, '-', '_', '.'; generated ones read like `TOTP0A1B2C3D`. */
const serialPattern = /^[A-Za-z0-9._-]{1,64}$/;

export function generateSerial(type: string): string {
  return `${type.toUpperCase()}${randomBytes(5).toString("hex").toUpperCase()}`;
}

/** Why a serial is refused (SerialNumberNotSpecified when empty, BogusSerialNumber when malformed), or undefined. */
export function serialProblem(raw: unknown): { code: number; reason: string } | undefined {
  if (raw === undefined || raw === null || raw === "")
    return { code: ApiReturnCode.SerialNumberNotSpecified, reason: "is required" };
  if (typeof raw !== "string" || !serialPattern.test(raw))
    return { code: ApiReturnCode.BogusSerialNumber, reason: "must be 1–64 letters, digits, '-', '_' or '.'" };
  return undefined;
}

export function requireSerial(raw: unknown, field: string): string {
  const problem = serialProblem(raw);
  if (problem !== undefined)
    throw new TesseraError(problem.code, { message: `${field} ${problem.reason}`, field });
  return raw as string;
}
