import radius, { type Attribute } from "radius";
import type { PacketShape } from "./packet-shape.ts";

const PROXY_STATE = 33;
const MESSAGE_AUTHENTICATOR_VALUE_AT = 22;

/**
 * A response to `request`, with the Message-Authenticator as its FIRST attribute (the BlastRADIUS
 * mitigation, CVE-2024-3596: a forged prefix cannot sit before it) on every response, whether or
 * not the request carried one. The `radius` package codes the attributes but appends its
 * Message-Authenticator last, so a zeroed one goes first and both digests are computed here in
 * RFC 3579 §3.2's order: the HMAC over the packet holding the request authenticator, then the
 * response authenticator over the packet holding that HMAC. Proxy-State is echoed (RFC 2865 §5.33).
 */
export function encodeResponse(
  request: PacketShape,
  proxyStates: readonly Buffer[],
  code: string,
  secret: Buffer,
  attributes: readonly Attribute[],
): Buffer {
  const packet = radius.encode({
    code,
    secret,
    identifier: request.identifier,
    authenticator: Buffer.from(request.authenticator),
    attributes: [
      ["Message-Authenticator", Buffer.alloc(16)],
      ...attributes,
      ...proxyStates.map((state): Attribute => [PROXY_STATE, state]),
    ],
    add_message_authenticator: false,
  });
  // An Accounting-Response's HMAC is taken over a zeroed authenticator, as an Accounting-Request's
  // is (RFC 3579 §3.2 as FreeRADIUS implements it); every other response's over the request's.
  if (code === "Accounting-Response") packet.fill(0, 4, 20);
  else request.authenticator.copy(packet, 4);
  radius.calculate_message_authenticator(packet, secret).copy(packet, MESSAGE_AUTHENTICATOR_VALUE_AT);
  request.authenticator.copy(packet, 4);
  radius.calculate_packet_checksum(packet, secret).copy(packet, 4);
  return packet;
}
