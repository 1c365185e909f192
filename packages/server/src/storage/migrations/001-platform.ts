import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Tenants, API keys, users, passwords, sessions, audit trail, keys. */
export const platform: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("tenants")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("expires_at", "bigint")
      .addColumn("allowed_ip_ranges", "text", (c) => c.notNull().defaultTo("[]"))
      .addColumn("allowed_email_domains", "text", (c) => c.notNull().defaultTo("[]"))
      .addColumn("password_max_failures", "integer", (c) => c.notNull())
      .addColumn("lockout_base_seconds", "integer", (c) => c.notNull())
      .addColumn("password_max_age_days", "integer")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("secret_hash", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("revoked_at", "bigint")
      .addColumn("last_used_at", "bigint")
      .execute();
    await db.schema.createIndex("api_keys_by_tenant").on("api_keys").column("tenant_id").execute();

    await db.schema
      .createTable("source_failures")
      .addColumn("source", "text", (c) => c.primaryKey())
      .addColumn("failures", "integer", (c) => c.notNull())
      .addColumn("window_started_at", "bigint", (c) => c.notNull())
      .addColumn("locked_until", "bigint")
      .execute();

    await db.schema
      .createTable("users")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("username", "text", (c) => c.notNull())
      .addColumn("email", "text")
      .addColumn("mobile", "text")
      .addColumn("first_name", "text")
      .addColumn("last_name", "text")
      .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("expires_at", "bigint")
      .addColumn("password_hash", "text")
      .addColumn("password_changed_at", "bigint")
      .addColumn("failed_attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("lock_count", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("locked_until", "bigint")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("users_username_unique", ["tenant_id", "username"])
      .execute();
    await db.schema.createIndex("users_by_email").on("users").columns(["tenant_id", "email"]).execute();

    await db.schema
      .createTable("password_recoveries")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("message_hash", "text", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("password_recoveries_by_user")
      .on("password_recoveries")
      .column("user_id")
      .execute();

    await db.schema
      .createTable("sessions")
      .addColumn("token_hash", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("revoked_at", "bigint")
      .execute();
    await db.schema.createIndex("sessions_by_user").on("sessions").column("user_id").execute();

    await db.schema
      .createTable("audit_events")
      .addColumn("seq", "bigint", (c) => c.primaryKey())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("tenant_id", "text")
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("subject", "text")
      .addColumn("source_ip", "text")
      .addColumn("operation", "text", (c) => c.notNull())
      .addColumn("result_code", "integer", (c) => c.notNull())
      .addColumn("duration_ms", "integer")
      .addColumn("request_id", "text")
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("audit_events_by_tenant")
      .on("audit_events")
      .columns(["tenant_id", "seq"])
      .execute();

    await db.schema
      .createTable("audit_head")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("signature", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("audit_checkpoints")
      .addColumn("seq", "bigint", (c) => c.primaryKey())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("signature", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("signing_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("purpose", "text", (c) => c.notNull())
      .addColumn("public_key", "text", (c) => c.notNull())
      .addColumn("private_key_enc", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("key_checks")
      .addColumn("key_id", "text", (c) => c.primaryKey())
      .addColumn("canary_enc", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("idempotency_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("request_hash", "text", (c) => c.notNull())
      .addColumn("status_code", "integer", (c) => c.notNull())
      .addColumn("response_enc", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("idempotency_keys_by_age")
      .on("idempotency_keys")
      .column("created_at")
      .execute();

    await db.schema
      .createTable("rate_limits")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("count", "integer", (c) => c.notNull())
      .addColumn("window_started_at", "bigint", (c) => c.notNull())
      .execute();
  },
};
