import type { ServerContext } from "../../app/server-context.ts";
import { columnAad } from "../../secrets/encrypted-columns.ts";
import { sourceKey } from "./client-address.ts";
import { radiusSecretColumn } from "./client-store.ts";

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
 * The client a packet from `address` (an IPv4 or IPv6 address as the socket reports it, an
 * IPv4-mapped IPv6 address counting as the IPv4 one) belongs to: the most specific matching
 * address or CIDR of the client list, or undefined (the packet is dropped). Ranges of different
 * tenants never overlap (client-store.ts), so the answer names one tenant.
 */
export async function findRadiusClient(
  ctx: ServerContext,
  address: string,
): Promise<RadiusClient | undefined> {
  const key = sourceKey(address);
  if (key === undefined) return undefined;
  const row = await ctx.database.db
    .selectFrom("radius_clients")
    .select(["id", "tenant_id", "name", "secret_enc", "require_message_authenticator"])
    .where("network_start", "<=", key)
    .where("network_end", ">=", key)
    .orderBy("prefix", "desc")
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    secret: ctx.keys.decrypt(row.secret_enc, columnAad(radiusSecretColumn, row.id)),
    // Anything but an explicit 0 requires it: fail closed.
    requireMessageAuthenticator: row.require_message_authenticator !== 0,
  };
}
