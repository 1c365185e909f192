import { ApiReturnCode, TesseraError } from "@tessera/codes";

/**
 * What verifyAuthenticationResponse (@simplewebauthn/server 14) threw, as the published code. The
 * library throws plain Errors, so their messages are matched; the input reached it well-formed
 * (assertion-input.ts), so anything not named here failed at the signature and is refused as
 * InvalidSignDataInvalid (fail closed). The library's own detail stays in the cause, not the answer.
 */
const rules: readonly [RegExp, number, string][] = [
  [/challenge/i, ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge, "the assertion answers another challenge"],
  [
    /origin|RP ID/i,
    ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
    "the assertion was made for another relying party or origin",
  ],
  [
    /User not present/i,
    ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
    "the authenticator did not report user presence",
  ],
  [
    /User verification required/i,
    ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
    "user verification is required and the authenticator did not verify the user",
  ],
  [
    /response type|tokenBinding/i,
    ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
    "the assertion is malformed: clientDataJSON is not a webauthn.get response",
  ],
];

export function assertionError(error: unknown): TesseraError {
  if (TesseraError.is(error)) return error;
  const text = error instanceof Error ? error.message : String(error);
  for (const [pattern, code, message] of rules)
    if (pattern.test(text)) return new TesseraError(code, { message, cause: error });
  return signatureRefused(error);
}

export const signatureRefused = (cause?: unknown): TesseraError =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid, {
    message: "the assertion's signature does not verify with this key",
    ...(cause === undefined ? {} : { cause }),
  });
