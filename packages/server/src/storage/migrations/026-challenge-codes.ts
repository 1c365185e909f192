import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Codes sent to challenge devices (out-of-band/challenges/): one row per code sent, the code sealed
 * to its row (never stored plain). A code is spent once by a compare-and-set of `used_at`; a newer
 * code for the same device and purpose supersedes it (`superseded_at`). The tenant's `challenge_code_ttl_seconds` bounds each code's life.
 */
export const challengeCodes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("challenge_codes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("authenticator_id", "text", (c) =>
        c.notNull().references("authenticators.id").onDelete("cascade"),
      )
      .addColumn("method", "text", (c) => c.notNull())
      .addColumn("purpose", "text", (c) => c.notNull())
      .addColumn("code_enc", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .addColumn("superseded_at", "bigint")
      .execute();
    await db.schema
      .createIndex("challenge_codes_by_device")
      .on("challenge_codes")
      .columns(["authenticator_id", "purpose", "created_at"])
      .execute();
    await db.schema
      .createIndex("challenge_codes_by_expiry")
      .on("challenge_codes")
      .column("expires_at")
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("challenge_code_ttl_seconds", "integer", (c) => c.notNull().defaultTo(600))
      .execute();
  },
};
