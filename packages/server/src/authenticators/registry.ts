import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { AuthenticatorType, ChallengeDeviceType, OathType } from "./authenticator-type.ts";
import { emailType } from "./email/email-type.ts";
import { hotpType } from "./hotp/hotp-type.ts";
import { pushType } from "./push/push-type.ts";
import { smsType } from "./sms/sms-type.ts";
import { totpType } from "./totp/totp-type.ts";
import { voiceType } from "./voice/voice-type.ts";
import { webauthnType } from "./webauthn/webauthn-type.ts";

/** Every authenticator type, registered explicitly: a type not listed here does not exist. */
export const authenticatorTypes: readonly AuthenticatorType[] = [
  totpType,
  hotpType,
  smsType,
  voiceType,
  emailType,
  pushType,
  webauthnType,
];
const types = authenticatorTypes;

export const authenticatorTypeNames = types.map((t) => t.type);
export const typeRule = `must be one of ${authenticatorTypeNames.join(", ")}`;

/** The OATH types (codes computed from a seed): what token creation, PSKC and the pool take. */
export const oathTypes: readonly OathType[] = types.filter((t): t is OathType => t.kind === "oath");
export const oathTypeRule = `must be one of ${oathTypes.map((t) => t.type).join(", ")}`;

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

/** An OATH type by name; any other type (a challenge or push device) is DeviceTypeInvalid. */
export function oathType(name: unknown): OathType {
  const found = oathTypes.find((t) => t.type === name);
  if (found === undefined) {
    throw new TesseraError(ApiReturnCode.DeviceTypeInvalid, {
      message: `type ${oathTypeRule}`,
      field: "body.type",
    });
  }
  return found;
}

/** A challenge device type by name, or undefined for an OATH or push type. */
export function challengeDeviceType(name: unknown): ChallengeDeviceType | undefined {
  const found = types.find((t) => t.type === name);
  return found?.kind === "challenge" ? found : undefined;
}
