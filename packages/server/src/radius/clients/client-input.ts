import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { type ClientRange, parseClientRange } from "./client-address.ts";

/**
 * Shared secrets: at least 16 characters. RFC 2865 §3 asks for a secret at least as long and
 * unguessable as 16 octets, because the Response Authenticator and User-Password hiding are MD5
 * keyed only by it: anyone who sees one Access-Request and its answer can guess a short secret
 * offline, then read every password. BlastRADIUS (CVE-2024-3596) showed MD5 collisions forging
 * answers online; a long random secret plus Message-Authenticator is the mitigation. Printable
 * ASCII without spaces, so it can be typed into every NAS's configuration; at most 128.
 */
export const secretSchema = {
  type: "string",
  minLength: 16,
  maxLength: 128,
  pattern: "^[\\x21-\\x7e]+$",
  description:
    "the shared secret, 16–128 printable ASCII characters without spaces (RFC 2865 §3; BlastRADIUS): sealed at rest, never shown again",
} as const;

export const clientBodySchema = {
  name: { type: "string", minLength: 1, maxLength: 100, pattern: "^[^\\u0000-\\u001f\\u007f]+$" },
  address: { type: "string", minLength: 1, maxLength: 64 },
  secret: secretSchema,
  requireMessageAuthenticator: { type: "boolean" },
} as const;

/** The range an address field stands for, or a MalformedRequest naming the field. */
export function clientRangeOf(address: string, field = "body.address"): ClientRange {
  const range = parseClientRange(address);
  if (typeof range === "string")
    throw new TesseraError(TesseraApiCode.MalformedRequest, { message: `${field} ${range}`, field });
  return range;
}

/** The same checks as the API's schema, for the command line (which reads the secret from stdin). */
export function checkSecret(secret: string): void {
  // Both refusals say how to make a good secret, the next step an operator needs.
  const make = "make a random one with `openssl rand -base64 24`";
  if (secret === "")
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `no shared secret on standard input: ${make} and pass its file on standard input`,
      field: "secret",
    });
  const ok = secret.length >= 16 && secret.length <= 128 && /^[\x21-\x7e]+$/.test(secret);
  if (!ok)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: `the shared secret must be 16–128 printable ASCII characters without spaces (RFC 2865 §3: at least 16 octets; short secrets fall to offline guessing): ${make}`,
      field: "secret",
    });
}
