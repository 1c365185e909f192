import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { AuthenticatorType } from "./authenticator-type.ts";
import { hotpType } from "./hotp/hotp-type.ts";
import { totpType } from "./totp/totp-type.ts";

/** Every authenticator type, registered explicitly: a type not listed here does not exist. */
export const authenticatorTypes: readonly AuthenticatorType[] = [totpType, hotpType];
const types = authenticatorTypes;

export const authenticatorTypeNames = types.map((t) => t.type);
export const typeRule = `must be one of ${authenticatorTypeNames.join(", ")}`;

export function authenticatorType(name: unknown): AuthenticatorType {
  const found = types.find((t) => t.type === name);
  if (found === undefined) {
    throw new TesseraError(ApiReturnCode.DeviceTypeInvalid, {
      message: `type ${typeRule}`,
      field: "body.type",
    });
  }
  return found;
}
