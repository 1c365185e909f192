import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { parseAuthenticatorData } from "@simplewebauthn/server/helpers";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { isAuthenticatorAttachment } from "./registration-response.ts";

/**
 * The shape of an assertion (AuthenticationResponseJSON), checked before anything is looked up or
 * verified, so that each malformed part gets its own code and the library only ever sees
 * well-formed input: a credential id that cannot be one is BogusPhysicalDeviceId; undecodable
 * authenticatorData, clientDataJSON or signature is InvalidSignData.
 */
const base64url = /^[A-Za-z0-9_-]*$/;
/** WebAuthn §5.1: a credential id is at most 1023 bytes; an empty one identifies nothing. */
const MAX_CREDENTIAL_ID_BYTES = 1023;
/** WebAuthn §5.4.3: a user handle is at most 64 bytes. */
const MAX_USER_HANDLE_BYTES = 64;

const malformed = (what: string, field: string) =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidSignData, {
    message: `the assertion is malformed: ${what}`,
    field,
  });

const decoded = (value: unknown): Buffer | undefined =>
  typeof value === "string" && base64url.test(value) && value.length % 4 !== 1
    ? Buffer.from(value, "base64url")
    : undefined;

/** The credential id of `raw.id`, validated (BogusPhysicalDeviceId otherwise). */
export function credentialIdOf(raw: Record<string, unknown>): string {
  const bytes = decoded(raw.id);
  if (bytes === undefined || bytes.length === 0 || bytes.length > MAX_CREDENTIAL_ID_BYTES)
    throw new TesseraError(ApiReturnCode.BogusPhysicalDeviceId, {
      message: `response.id must be a credential id: base64url of 1 to ${MAX_CREDENTIAL_ID_BYTES} bytes`,
      field: "body.response.id",
    });
  return raw.id as string;
}

export interface Assertion {
  readonly json: AuthenticationResponseJSON;
  readonly credentialId: string;
  readonly userHandle: string | undefined;
  /** The client says it used the `appid` extension (a legacy U2F key signed under the AppID). */
  readonly appid: boolean;
}

/** Checks the assertion's shape; throws the code for the first malformed part. */
export function readAssertion(response: unknown): Assertion {
  if (typeof response !== "object" || response === null || Array.isArray(response))
    throw malformed("response must be an object", "body.response");
  const raw = response as Record<string, unknown>;
  const credentialId = credentialIdOf(raw);
  if (raw.rawId !== raw.id) throw malformed("rawId must equal id", "body.response.rawId");
  if (raw.type !== "public-key") throw malformed('type must be "public-key"', "body.response.type");
  const inner = raw.response;
  if (typeof inner !== "object" || inner === null || Array.isArray(inner))
    throw malformed("response.response must be an object", "body.response.response");
  const parts = inner as Record<string, unknown>;
  const clientData = decoded(parts.clientDataJSON);
  if (clientData === undefined || !isJsonObject(clientData))
    throw malformed(
      "clientDataJSON is not base64url of a JSON object",
      "body.response.response.clientDataJSON",
    );
  const authData = decoded(parts.authenticatorData);
  if (authData === undefined || !parses(authData))
    throw malformed("authenticatorData cannot be decoded", "body.response.response.authenticatorData");
  const signature = decoded(parts.signature);
  if (signature === undefined || signature.length === 0)
    throw malformed("signature is not base64url", "body.response.response.signature");
  const { userHandle } = parts;
  if (userHandle !== undefined && userHandle !== null) {
    const handle = decoded(userHandle);
    if (handle === undefined || handle.length > MAX_USER_HANDLE_BYTES)
      throw malformed(
        `userHandle must be base64url of at most ${MAX_USER_HANDLE_BYTES} bytes`,
        "body.response.response.userHandle",
      );
  }
  if (!isAuthenticatorAttachment(raw.authenticatorAttachment))
    throw malformed(
      'authenticatorAttachment must be "platform", "cross-platform" or absent',
      "body.response.authenticatorAttachment",
    );
  const extensions = raw.clientExtensionResults;
  const appid =
    typeof extensions === "object" &&
    extensions !== null &&
    (extensions as { appid?: unknown }).appid === true;
  return {
    json: { ...raw, clientExtensionResults: {} } as unknown as AuthenticationResponseJSON,
    credentialId,
    userHandle: typeof userHandle === "string" && userHandle !== "" ? userHandle : undefined,
    appid,
  };
}

function isJsonObject(bytes: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function parses(authData: Buffer): boolean {
  try {
    parseAuthenticatorData(new Uint8Array(authData));
    return authData.length >= 37;
  } catch {
    return false;
  }
}
