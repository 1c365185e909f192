/**
 * The shape of a RegistrationResponseJSON, checked before the library reads it: the library
 * assumes the shape (a missing `response` would be a TypeError, a 500), and every byte field must
 * be base64url. Sizes are bounded well above what authenticators send (a credential id is at most
 * 1023 bytes; attestation objects with certificate chains stay under 64 KiB).
 */
const base64url = /^[A-Za-z0-9_-]*$/;
const MAX_ID = 1400;
const MAX_CLIENT_DATA = 8 * 1024;
const MAX_ATTESTATION = 96 * 1024;

const text = (value: unknown, max: number): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= max && base64url.test(value);

/**
 * WebAuthn's authenticatorAttachment is a DOMString holding an enum value ("platform",
 * "cross-platform"); relying parties must ignore values they do not know, so a short lower-case
 * word passes and anything else (an object, a number, 10 MB of text) is not a client's answer.
 */
export const isAuthenticatorAttachment = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === "string" && /^[a-z-]{1,32}$/.test(value));

const isPlainObject = (value: unknown): boolean =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Why `value` is not a registration response, and the field at fault; undefined when it is one. */
export function registrationResponseProblem(value: unknown): { detail: string; field: string } | undefined {
  const at = (field: string, detail: string) => ({ detail, field: `body.response${field}` });
  if (!isPlainObject(value)) return at("", "it is not an object");
  const json = value as Record<string, unknown>;
  if (!text(json.id, MAX_ID)) return at(".id", "id must be base64url");
  if (!text(json.rawId, MAX_ID)) return at(".rawId", "rawId must be base64url");
  if (json.id !== json.rawId) return at(".rawId", "id and rawId differ");
  if (json.type !== "public-key") return at(".type", 'type must be "public-key"');
  if (!isPlainObject(json.response)) return at(".response", "response must be an object");
  const parts = json.response as Record<string, unknown>;
  if (!text(parts.clientDataJSON, MAX_CLIENT_DATA))
    return at(".response.clientDataJSON", "response.clientDataJSON must be base64url");
  if (!text(parts.attestationObject, MAX_ATTESTATION))
    return at(".response.attestationObject", "response.attestationObject must be base64url");
  if (parts.transports !== undefined && !Array.isArray(parts.transports))
    return at(".response.transports", "response.transports must be a list");
  if (!isAuthenticatorAttachment(json.authenticatorAttachment))
    return at(
      ".authenticatorAttachment",
      'authenticatorAttachment must be "platform", "cross-platform" or absent',
    );
  if (json.clientExtensionResults !== undefined && !isPlainObject(json.clientExtensionResults))
    return at(".clientExtensionResults", "clientExtensionResults must be an object");
  return undefined;
}
