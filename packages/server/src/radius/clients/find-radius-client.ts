import type { ServerContext } from "../../app/server-context.ts";

/** A RADIUS client (a VPN concentrator, a switch) as the listener needs it. */
export interface RadiusClient {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  /** The shared secret, unsealed. */
  readonly secret: Buffer;
  /**
   * Message-Authenticator required on its Access-Requests (the BlastRADIUS mitigation); false
   * only when an administrator loosened it for legacy gear.
   */
  readonly requireMessageAuthenticator: boolean;
}

/**
 * FOUNDATION STUB (owned by the clients part): the client a packet from `address` (an IPv4 or
 * IPv6 address as the socket reports it) belongs to: the most specific matching address or CIDR
 * of the client list, or undefined (the packet is dropped).
 */
export async function findRadiusClient(
  _ctx: ServerContext,
  _address: string,
): Promise<RadiusClient | undefined> {
  return undefined;
}
