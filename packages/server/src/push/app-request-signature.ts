import { createHash } from "node:crypto";

/**
 * The string a push device signs for every request of the app protocol (docs/authenticators.md,
 * "App protocol"): it binds the method, the path with its query, the timestamp and the body, so a
 * captured request cannot be replayed (the timestamp must grow per device) or altered.
 */
export const APP_SIGNATURE_TAG = "tessera-app/1";

export function appSigningString(
  method: string,
  pathWithQuery: string,
  timestamp: string,
  body: Buffer,
): Buffer {
  const digest = createHash("sha256").update(body).digest("base64url");
  return Buffer.from(
    `${APP_SIGNATURE_TAG}\n${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${digest}`,
    "utf8",
  );
}
