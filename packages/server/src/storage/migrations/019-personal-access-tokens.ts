import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Personal access tokens (sso/tokens/): a user's long-lived secret for one app, exchanged at the
 * token endpoint for an access token. Only the token's SHA-256 is stored (token_hash, unique),
 * so a copy of the database hands out nothing; the token itself is shown once, when created.
 * Deleting the user or the app deletes its tokens.
 */
export const personalAccessTokens: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("personal_access_tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("client_id", "text", (c) => c.notNull().references("sso_apps.client_id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("revoked_at", "bigint")
      .addColumn("last_used_at", "bigint")
      .execute();
    // A user's tokens, newest first: the list's key-set paging and the per-user count.
    await db.schema
      .createIndex("personal_access_tokens_by_user")
      .on("personal_access_tokens")
      .columns(["tenant_id", "user_id", "created_at", "id"])
      .execute();
  },
};
