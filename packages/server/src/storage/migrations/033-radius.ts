import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * RADIUS clients (radius/clients/): the network devices (VPN concentrators, switches, access
 * points) allowed to send Access-Requests, by source address or CIDR range, each with its shared
 * secret sealed at rest (`secret_enc`, bound to the row id).
 *
 * `address` is what the administrator gave (normalised: "192.0.2.1", "10.0.0.0/8",
 * "2001:db8::/32"); `network_start`/`network_end` are the first and last address of its range as
 * 32 lower-case hex digits in one IPv6 space (IPv4 as ::ffff:a.b.c.d), so a packet's source is
 * matched by one indexed range query whatever its family, and `prefix` (0–128 in that space)
 * orders the matches: the most specific wins. Ranges of different tenants never overlap
 * (checked under a lock when a client is added), so a source address identifies one tenant.
 *
 * The tenant setting `radius_reply_attributes` (JSON list) holds the attributes every
 * Access-Accept of the tenant carries (radius/reply-attributes.ts).
 */
export const radius: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("radius_clients")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("address", "text", (c) => c.notNull())
      .addColumn("network_start", "text", (c) => c.notNull())
      .addColumn("network_end", "text", (c) => c.notNull())
      .addColumn("prefix", "integer", (c) => c.notNull())
      .addColumn("secret_enc", "text", (c) => c.notNull())
      .addColumn("require_message_authenticator", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      // One range once per tenant; across tenants the overlap check refuses it too.
      .addUniqueConstraint("radius_clients_tenant_address", ["tenant_id", "address"])
      .execute();
    await db.schema
      .createIndex("radius_clients_by_network")
      .on("radius_clients")
      .columns(["network_start", "network_end"])
      .execute();
    await db.schema
      .createIndex("radius_clients_by_tenant")
      .on("radius_clients")
      .columns(["tenant_id", "created_at", "id"])
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("radius_reply_attributes", "text", (c) => c.notNull().defaultTo("[]"))
      .execute();
  },
};
