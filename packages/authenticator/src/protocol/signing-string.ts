import { createHash } from "node:crypto";

/**
 * The string a push device signs for every request of the app protocol (docs/authenticators.md,
 * "Push devices and the app protocol"). Re-implemented here rather than imported from the server
 * so that the app is what a mobile developer would write from the documentation; a test pins it
 * against the server's own appSigningString.
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
