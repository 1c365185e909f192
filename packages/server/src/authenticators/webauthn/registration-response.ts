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

/** Why `value` is not a registration response, or undefined. */
export function registrationResponseProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "it is not an object";
  const json = value as Record<string, unknown>;
  if (!text(json.id, MAX_ID) || !text(json.rawId, MAX_ID)) return "id and rawId must be base64url";
  if (json.id !== json.rawId) return "id and rawId differ";
  if (json.type !== "public-key") return 'type must be "public-key"';
  const inner = json.response;
  if (typeof inner !== "object" || inner === null || Array.isArray(inner))
    return "response must be an object";
  const parts = inner as Record<string, unknown>;
  if (!text(parts.clientDataJSON, MAX_CLIENT_DATA)) return "response.clientDataJSON must be base64url";
  if (!text(parts.attestationObject, MAX_ATTESTATION)) return "response.attestationObject must be base64url";
  if (parts.transports !== undefined && !Array.isArray(parts.transports))
    return "response.transports must be a list";
  return undefined;
}
