import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { originHint } from "./webauthn-errors.ts";

/**
 * What verifyAuthenticationResponse (@simplewebauthn/server 14) threw, as the published code: the
 * authentication side of webauthn-errors.ts, on the same principle. The library throws plain
 * Errors; matching is on the message's fixed start, because what follows quotes the client's own
 * text (its type, origin, challenge), which must not decide the code. The input reached the
 * library well-formed (assertion-input.ts), so anything not named here failed at the key or the
 * signature and is refused as InvalidSignDataInvalid (fail closed), never a 500. The library's
 * message, which echoes what was expected, stays in the cause, out of the answer.
 */
const clientData = "body.response.response.clientDataJSON";
const authenticatorData = "body.response.response.authenticatorData";
const rules: readonly [RegExp, number, string, string][] = [
  [
    /^Unexpected authentication response challenge/,
    ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
    "the assertion answers another challenge than this ceremony's",
    clientData,
  ],
  [
    /^(Unexpected authentication response origin|Unexpected cross-origin|Detected cross-origin|Unexpected top origin)/,
    ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
    `the assertion comes from an origin this relying party does not allow: ${originHint}`,
    clientData,
  ],
  [
    /^Unexpected RP ID hash/,
    ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
    "the authenticator signed for another relying party id",
    authenticatorData,
  ],
  [
    /^User not present/,
    ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
    "the authenticator reports no user presence (the key was not touched)",
    authenticatorData,
  ],
  [
    /^User verification required/,
    ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
    "user verification (a PIN or biometric) is required and the authenticator did not verify the user",
    authenticatorData,
  ],
  [
    /^(Unexpected authentication response type|ClientDataJSON tokenBinding|Unexpected tokenBinding)/,
    ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
    "the assertion is malformed: clientDataJSON is not a webauthn.get response",
    clientData,
  ],
];

export function assertionError(error: unknown): TesseraError {
  if (TesseraError.is(error)) return error;
  const text = error instanceof Error ? error.message : String(error);
  for (const [pattern, code, message, field] of rules)
    if (pattern.test(text)) return new TesseraError(code, { message, field, cause: error });
  return signatureRefused(error);
}

export const signatureRefused = (cause?: unknown): TesseraError =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid, {
    message: "the assertion's signature does not verify with this key",
    field: "body.response.response.signature",
    ...(cause === undefined ? {} : { cause }),
  });
