import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The OpenID Connect provider's storage (sso/): what oidc-provider keeps (sso_models), the keys
 * that sign its tokens (sso_signing_keys) and each tenant's apps, its OIDC clients (sso_apps).
 *
 * sso_models holds every oidc-provider model (codes, tokens, sessions, interactions, grants) as
 * one sealed JSON payload per row, keyed by the SHA-256 of its id: the ids are the bearer
 * secrets themselves (an opaque access token is its id), so a copy of the database hands out
 * nothing. consumed_at is set by compare-and-set, once (sso/provider/oidc-adapter.ts).
 */
export const sso: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("sso_models")
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("id_hash", "text", (c) => c.notNull())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("payload_enc", "text", (c) => c.notNull())
      .addColumn("grant_id", "text")
      .addColumn("client_id", "text")
      .addColumn("user_code_hash", "text")
      .addColumn("uid_hash", "text")
      .addColumn("expires_at", "bigint")
      .addColumn("consumed_at", "bigint")
      .addPrimaryKeyConstraint("sso_models_pk", ["model", "id_hash"])
      .execute();
    await db.schema
      .createIndex("sso_models_by_client")
      .on("sso_models")
      .columns(["tenant_id", "client_id"])
      .execute();
    await db.schema.createIndex("sso_models_by_grant").on("sso_models").columns(["grant_id"]).execute();
    await db.schema
      .createIndex("sso_models_by_user_code")
      .on("sso_models")
      .columns(["user_code_hash"])
      .execute();
    await db.schema.createIndex("sso_models_by_uid").on("sso_models").columns(["uid_hash"]).execute();
    await db.schema.createIndex("sso_models_by_expiry").on("sso_models").columns(["expires_at"]).execute();

    await db.schema
      .createTable("sso_signing_keys")
      .addColumn("kid", "text", (c) => c.primaryKey())
      .addColumn("alg", "text", (c) => c.notNull())
      .addColumn("private_jwk_enc", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("retired_at", "bigint")
      .execute();

    await db.schema
      .createTable("sso_apps")
      .addColumn("client_id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("secret_enc", "text")
      .addColumn("redirect_uris", "text", (c) => c.notNull())
      .addColumn("post_logout_redirect_uris", "text", (c) => c.notNull())
      .addColumn("grant_types", "text", (c) => c.notNull())
      .addColumn("scopes", "text", (c) => c.notNull())
      .addColumn("second_factors", "text", (c) => c.notNull())
      .addColumn("require_second_factor", "integer", (c) => c.notNull())
      .addColumn("first_party", "integer", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("sso_apps_by_tenant")
      .on("sso_apps")
      .columns(["tenant_id", "client_id"])
      .execute();
  },
};
