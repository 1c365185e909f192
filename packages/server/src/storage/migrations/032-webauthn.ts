import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * WebAuthn (authenticators/webauthn/). A security key or passkey is a row of `authenticators`
 * (type `webauthn`, so enable, disable, delete and listing work as for every type), whose
 * `secret_enc` seals the credential's COSE public key: sealed with the row id as associated data,
 * so someone who can write the database cannot swap in a key of their own. What the ceremonies
 * look up or move on lives here in the clear: the credential id (the browser sends it), the
 * signature counter (advanced by a compare-and-set), the flags and the attestation facts.
 *
 * Ceremonies (registration and authentication) are stored server-side, keyed by the SHA-256 of
 * their id, single use (`used_at` set by a compare-and-set) and expiring, bound to tenant, user
 * (none for a discoverable sign-in), relying party id and the origins allowed when they began.
 *
 * Relying-party settings are tenant columns; an SSO app may add origins of its own. The FIDO
 * Metadata Service entries imported offline (by command) are kept per AAGUID.
 */
export const webauthn: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("webauthn_credentials")
      .addColumn("authenticator_id", "text", (c) =>
        c.primaryKey().references("authenticators.id").onDelete("cascade"),
      )
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("credential_id", "text", (c) => c.notNull())
      .addColumn("rp_id", "text", (c) => c.notNull())
      .addColumn("u2f_app_id", "text")
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("sign_count", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("transports", "text", (c) => c.notNull().defaultTo("[]"))
      .addColumn("aaguid", "text", (c) => c.notNull())
      .addColumn("attestation_format", "text", (c) => c.notNull())
      .addColumn("backup_eligible", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("backed_up", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("user_verified", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("last_used_at", "bigint")
      .addColumn("clone_suspected_at", "bigint")
      .addUniqueConstraint("webauthn_credentials_tenant_credential", ["tenant_id", "credential_id"])
      .execute();
    await db.schema
      .createIndex("webauthn_credentials_by_user")
      .on("webauthn_credentials")
      .columns(["user_id"])
      .execute();
    await db.schema
      .createTable("webauthn_ceremonies")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("challenge", "text", (c) => c.notNull())
      .addColumn("rp_id", "text", (c) => c.notNull())
      .addColumn("origins", "text", (c) => c.notNull())
      .addColumn("user_verification", "text", (c) => c.notNull())
      .addColumn("app_client_id", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    await db.schema
      .createIndex("webauthn_ceremonies_by_expiry")
      .on("webauthn_ceremonies")
      .columns(["expires_at"])
      .execute();
    await db.schema
      .createTable("webauthn_metadata")
      .addColumn("aaguid", "text", (c) => c.primaryKey())
      .addColumn("description", "text", (c) => c.notNull())
      .addColumn("statement", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("blob_number", "bigint", (c) => c.notNull())
      .addColumn("imported_at", "bigint", (c) => c.notNull())
      .execute();
    const tenantColumns: [string, "text", string | null][] = [
      ["webauthn_rp_id", "text", null],
      ["webauthn_rp_name", "text", null],
      ["webauthn_origins", "text", "[]"],
      ["webauthn_user_verification", "text", "preferred"],
      ["webauthn_attestation", "text", "none"],
      ["webauthn_aaguids", "text", "[]"],
      ["webauthn_u2f_app_id", "text", null],
    ];
    for (const [name, type, fallback] of tenantColumns)
      await db.schema
        .alterTable("tenants")
        .addColumn(name, type, (c) => (fallback === null ? c : c.notNull().defaultTo(fallback)))
        .execute();
    await db.schema
      .alterTable("sso_apps")
      .addColumn("webauthn_origins", "text", (c) => c.notNull().defaultTo("[]"))
      .execute();
  },
};
