import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Push devices (push/): one-time enrolment links (stored as SHA-256 of the code, spent by a
 * compare-and-set on `used_at`), each device's last accepted request timestamp (the app protocol's
 * replay guard, advanced by a compare-and-set), and the installation's one VAPID key pair for Web
 * Push (the private key sealed; the first process to insert it wins, every other one reads it).
 * The device state is a table of its own, keyed by the authenticator, rather than columns of
 * `authenticators`: nothing but a push device has it, and a deleted device takes it along.
 */
export const pushDevices: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("push_enrolments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("code_hash", "text", (c) => c.notNull().unique())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .addColumn("authenticator_id", "text")
      .execute();
    await db.schema
      .createTable("push_devices")
      .addColumn("authenticator_id", "text", (c) =>
        c.primaryKey().references("authenticators.id").onDelete("cascade"),
      )
      .addColumn("name", "text")
      .addColumn("key_fingerprint", "text", (c) => c.notNull().unique())
      .addColumn("last_timestamp", "bigint", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("push_vapid_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("public_key", "text", (c) => c.notNull())
      .addColumn("private_key_enc", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
  },
};
