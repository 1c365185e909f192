import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { TesseraConfig } from "../config/tessera-config.ts";
import { parseOutboundUrl } from "../net/outbound-url.ts";
import type { DeviceMaterial } from "./device-material.ts";

export type WebPushSubscription = NonNullable<DeviceMaterial["webPush"]>;

/** The JSON schema of a Web Push subscription as a browser's PushSubscription.toJSON() gives it. */
export const webPushSchema = {
  type: "object",
  properties: {
    endpoint: { type: "string", minLength: 1, maxLength: 2048 },
    keys: {
      type: "object",
      properties: {
        p256dh: { type: "string", pattern: "^[A-Za-z0-9_-]{87}$" },
        auth: { type: "string", pattern: "^[A-Za-z0-9_-]{22}$" },
      },
      required: ["p256dh", "auth"],
      additionalProperties: false,
    },
    expirationTime: { type: ["integer", "null"] },
  },
  required: ["endpoint", "keys"],
  additionalProperties: false,
} as const;

/**
 * A subscription the server may post to. The endpoint is an outbound URL an app chose, so it gets
 * the same policy as webhooks (net/outbound-url.ts): https only, and no loopback, private or local
 * name unless push.webPushAllowPrivateNetworks (development) says otherwise; names are checked
 * again, against the resolved addresses, when a message is sent. The p256dh key must be a P-256
 * point (65 bytes, uncompressed), the auth secret 16 bytes (RFC 8291).
 */
export function checkedSubscription(
  config: TesseraConfig,
  raw: { endpoint: string; keys: { p256dh: string; auth: string } },
  field: string,
): WebPushSubscription {
  const allowPrivate = config.push.webPushAllowPrivateNetworks;
  const url = parseOutboundUrl(raw.endpoint, allowPrivate);
  const problem =
    typeof url === "string"
      ? url
      : url.protocol !== "https:" && !allowPrivate
        ? "only https push services are allowed"
        : undefined;
  if (problem !== undefined)
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: `${field}.endpoint: ${problem}`,
      field: `${field}.endpoint`,
    });
  const point = Buffer.from(raw.keys.p256dh, "base64url");
  if (point.length !== 65 || point[0] !== 4)
    throw new TesseraError(ApiReturnCode.InvalidDeviceConfig, {
      message: `${field}.keys.p256dh must be an uncompressed P-256 point (65 bytes, base64url)`,
      field: `${field}.keys.p256dh`,
    });
  return { endpoint: raw.endpoint, keys: { p256dh: raw.keys.p256dh, auth: raw.keys.auth } };
}
