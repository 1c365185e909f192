import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Authenticators (OATH tokens first) and the tenant's OTP lockout policy. */
export const authenticators: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("authenticators")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("serial", "text", (c) => c.notNull().unique())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("set null"))
      .addColumn("enabled", "integer", (c) => c.notNull())
      .addColumn("activated", "integer", (c) => c.notNull())
      .addColumn("secret_enc", "text", (c) => c.notNull())
      .addColumn("algorithm", "text", (c) => c.notNull())
      .addColumn("digits", "integer", (c) => c.notNull())
      .addColumn("period", "integer")
      .addColumn("position", "bigint", (c) => c.notNull())
      .addColumn("drift", "integer", (c) => c.notNull())
      .addColumn("failures", "integer", (c) => c.notNull())
      .addColumn("locked_until", "bigint")
      .addColumn("uses", "integer", (c) => c.notNull())
      .addColumn("max_uses", "integer")
      .addColumn("provision_hash", "text", (c) => c.unique())
      .addColumn("provision_expires_at", "bigint")
      .addColumn("provisioned_at", "bigint")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("authenticators_by_user").on("authenticators").column("user_id").execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("otp_max_failures", "integer", (c) => c.notNull().defaultTo(5))
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("otp_lockout_seconds", "integer", (c) => c.notNull().defaultTo(300))
      .execute();
  },
};
