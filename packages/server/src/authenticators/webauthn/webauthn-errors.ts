import { ApiReturnCode, TesseraError } from "@tessera/codes";

/**
 * @simplewebauthn/server reports every refusal as a plain Error with an English message; this maps
 * them onto the published codes. Matching is on the message's fixed start (what follows may quote
 * the client's own text, so it must not decide the code), so an upgrade of the library that
 * rewords one lands in the fallback, which is still a refusal (fail closed), never a 500. The
 * messages the library builds echo what was expected (our origins, the challenge): the client
 * gets ours instead, naming only the part of the response that was refused.
 */
interface Rule {
  readonly pattern: RegExp;
  readonly code: number;
  readonly message: string;
  readonly field: string;
}

const response = "body.response";
/** What to do about a refused origin; the origin itself is not quoted (see above). */
export const originHint =
  "a page on another origin must be listed in the tenant's webauthnOrigins (PATCH /v1/tenant), or in the app's for a ceremony begun with its clientId";
const rules: readonly Rule[] = [
  {
    pattern: /^(Unexpected registration response challenge|Custom challenge verifier)/,
    code: ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
    message: "the response is not for this ceremony's challenge",
    field: `${response}.response.clientDataJSON`,
  },
  {
    pattern: /^Unexpected registration response origin/,
    code: ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
    message: `the response comes from an origin this relying party does not allow: ${originHint}`,
    field: `${response}.response.clientDataJSON`,
  },
  {
    pattern: /^Unexpected RP ID hash/,
    code: ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
    message: "the authenticator answered for another relying party id",
    field: `${response}.response`,
  },
  {
    pattern: /^User presence was required/,
    code: ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
    message: "the authenticator reports no user presence (the key was not touched)",
    field: `${response}.response`,
  },
  {
    pattern: /^User verification was required/,
    code: ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
    message:
      "the tenant requires user verification (a PIN or biometric) and the authenticator did not verify the user",
    field: `${response}.response`,
  },
  {
    pattern: /^(Credential public key was missing|Unexpected public key alg|No public key was provided)|PQC/,
    code: ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey,
    message: "the credential's public key is malformed or of an algorithm that is not supported",
    field: `${response}.response.attestationObject`,
  },
  {
    pattern: /^Unsupported Attestation Format/,
    code: ApiReturnCode.PartnerUserFIDOU2FInvalidVersion,
    message: "the attestation statement is of a format that is not supported",
    field: `${response}.response.attestationObject`,
  },
];

/** Anything else the library or its decoders throw: the registration data itself is malformed. */
const malformedRegistration = (detail: string, field = response) =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidRegData, {
    message: `the registration response is malformed: ${detail}`,
    field,
  });

/** The TesseraError for whatever verifyRegistrationResponse (or a decoder) threw. */
export function registrationError(error: unknown): TesseraError {
  if (error instanceof TesseraError) return error;
  const text = error instanceof Error ? error.message : String(error);
  // Its type check names the type (webauthn.get is InvalidRegData), which also mentions no rule.
  if (/^Unexpected (registration response type|credential type)/.test(text))
    return malformedRegistration("it is not a registration (webauthn.create) response");
  const rule = rules.find((r) => r.pattern.test(text));
  if (rule === undefined)
    return malformedRegistration("the attestation object or client data cannot be read");
  return new TesseraError(rule.code, { message: rule.message, field: rule.field, cause: error });
}

/** InvalidRegData for a response that is not even shaped like a RegistrationResponseJSON. */
export const invalidRegistrationShape = (problem: { detail: string; field: string }): TesseraError =>
  malformedRegistration(problem.detail, problem.field);

/** InvalidPubKey for a COSE key that decodes but is not a usable key of a supported algorithm. */
export const invalidPublicKey = (detail: string): TesseraError =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey, {
    message: `the credential's public key is refused: ${detail}`,
    field: `${response}.response.attestationObject`,
  });
