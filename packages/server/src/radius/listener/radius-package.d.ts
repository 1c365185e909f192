/** The parts of the untyped `radius` package (1.1) that the listener and its tests use. */
declare module "radius" {
  export type AttributeValue = string | number | Buffer | Date;
  /** [name or id, value], [name, tag, value], or ["Vendor-Specific", vendor, attributes]. */
  export type Attribute = readonly [string | number, ...unknown[]];

  export interface DecodedPacket {
    readonly code: string;
    readonly identifier: number;
    readonly length: number;
    readonly authenticator: Buffer;
    readonly attributes: Record<string, unknown>;
    readonly raw_attributes: readonly (readonly [number, Buffer])[];
  }

  export interface EncodeArgs {
    readonly code: string;
    readonly secret: string | Buffer;
    readonly identifier?: number;
    readonly authenticator?: Buffer;
    readonly attributes?: readonly Attribute[];
    readonly add_message_authenticator?: boolean;
  }

  interface Radius {
    decode(args: { packet: Buffer; secret: string | Buffer }): DecodedPacket;
    decode_without_secret(args: { packet: Buffer }): DecodedPacket;
    encode(args: EncodeArgs): Buffer;
    encode_response(args: {
      packet: DecodedPacket;
      code: string;
      secret: string | Buffer;
      attributes?: Attribute[];
    }): Buffer;
    verify_response(args: { request: Buffer; response: Buffer; secret: string | Buffer }): boolean;
    calculate_message_authenticator(packet: Buffer, secret: string | Buffer): Buffer;
    calculate_packet_checksum(packet: Buffer, secret: string | Buffer): Buffer;
    attr_name_to_id(name: string, vendor?: number): string | undefined;
  }

  const radius: Radius;
  export default radius;
}
