import { timingSafeEqual } from "node:crypto";
import radius from "radius";

/** RFC 2865 §3: the header; RFC 2865/7499: no RADIUS packet is longer than 4096 octets. */
export const HEADER_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
const MESSAGE_AUTHENTICATOR = 80;
const MESSAGE_AUTHENTICATOR_LENGTH = 18;

export const PacketCode = { accessRequest: 1, accountingRequest: 4 } as const;

/** A datagram whose header and attribute lengths add up; nothing about its sender is known yet. */
export interface PacketShape {
  readonly code: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
  /** Exactly the packet's Length octets (octets beyond it are padding, RFC 2865 §3). */
  readonly bytes: Buffer;
  /** Where the Message-Authenticator's value starts, when the packet has one. */
  readonly messageAuthenticatorAt: number | undefined;
}

/**
 * Checks the framing before anything else reads the packet: the `radius` package trusts the
 * Length field and the attribute lengths (a short last attribute is silently cut), so a packet
 * is only handed to it once every length is consistent. Returns why it is refused otherwise.
 */
export function packetShape(datagram: Buffer): PacketShape | string {
  if (datagram.length < HEADER_LENGTH) return "truncated header";
  if (datagram.length > MAX_PACKET_LENGTH) return "oversized datagram";
  const length = datagram.readUInt16BE(2);
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) return "length field out of range";
  if (length > datagram.length) return "shorter than its length field";
  let messageAuthenticatorAt: number | undefined;
  for (let offset = HEADER_LENGTH; offset < length; ) {
    if (offset + 2 > length) return "truncated attribute";
    const type = datagram.readUInt8(offset);
    const attributeLength = datagram.readUInt8(offset + 1);
    if (attributeLength < 2 || offset + attributeLength > length) return "attribute length out of range";
    if (type === MESSAGE_AUTHENTICATOR) {
      // RFC 3579 §3.2: exactly one, of 16 octets; two would let a forger pick which one counts.
      if (attributeLength !== MESSAGE_AUTHENTICATOR_LENGTH || messageAuthenticatorAt !== undefined)
        return "malformed Message-Authenticator";
      messageAuthenticatorAt = offset + 2;
    }
    offset += attributeLength;
  }
  const bytes = Buffer.from(datagram.subarray(0, length));
  return {
    code: bytes.readUInt8(0),
    identifier: bytes.readUInt8(1),
    authenticator: Buffer.from(bytes.subarray(4, HEADER_LENGTH)),
    bytes,
    messageAuthenticatorAt,
  };
}

export type Authenticity = "authentic" | "wrong-secret" | "no-message-authenticator";

/**
 * Whether the packet was made with this secret. Computed here over the received octets with a
 * constant-time compare: the `radius` package compares the digests as UTF-8 strings, where
 * different invalid byte sequences decode alike. An Access-Request's authenticator is random, so
 * without a Message-Authenticator nothing proves the secret (the caller decides whether that is
 * tolerated); an Accounting-Request's authenticator is its MD5 digest (RFC 2866 §3), and its
 * Message-Authenticator, if any, is computed over a zeroed authenticator (RFC 3579 §3.2).
 */
export function authenticity(shape: PacketShape, secret: Buffer): Authenticity {
  const accounting = shape.code === PacketCode.accountingRequest;
  if (accounting) {
    const zeroed = Buffer.from(shape.bytes);
    zeroed.fill(0, 4, HEADER_LENGTH);
    if (!same(radius.calculate_packet_checksum(zeroed, secret), shape.authenticator)) return "wrong-secret";
  }
  if (shape.messageAuthenticatorAt === undefined)
    return accounting ? "authentic" : "no-message-authenticator";
  const at = shape.messageAuthenticatorAt;
  const copy = Buffer.from(shape.bytes);
  copy.fill(0, at, at + 16);
  if (accounting) copy.fill(0, 4, HEADER_LENGTH);
  const expected = radius.calculate_message_authenticator(copy, secret);
  return same(expected, shape.bytes.subarray(at, at + 16)) ? "authentic" : "wrong-secret";
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
