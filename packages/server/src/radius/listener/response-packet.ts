import radius, { type Attribute, type DecodedPacket } from "radius";
import { MAX_TOTAL_BYTES } from "../reply-attributes.ts";
import { HEADER_LENGTH, MAX_PACKET_LENGTH, type PacketShape } from "./packet-shape.ts";

const PROXY_STATE = 33;
const MESSAGE_AUTHENTICATOR_VALUE_AT = 22;

/**
 * The Proxy-State octets (attribute headers included) a response can echo: what a 4096-octet
 * packet leaves after the header, the Message-Authenticator, the most a tenant's Accept attributes
 * may take and one Reply-Message of any length. A request carrying more is dropped before it is
 * processed: its answer could not be sent, and processing it would spend a code for nothing.
 */
export const MAX_PROXY_STATE_BYTES = MAX_PACKET_LENGTH - HEADER_LENGTH - 18 - MAX_TOTAL_BYTES - 255;

export function proxyStatesOf(packet: DecodedPacket): Buffer[] {
  return packet.raw_attributes.filter(([type]) => type === PROXY_STATE).map(([, value]) => value);
}

export const proxyStateBytes = (states: readonly Buffer[]) =>
  states.reduce((sum, state) => sum + 2 + state.length, 0);

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
