import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Account activation (sso/activation/): an administrator's invitation, e-mailed as a link whose
 * id only the e-mail carries. The database keeps the id's SHA-256 (id_hash), so a copy of it
 * opens no account. `state` is the step the person is at (password, totp, done; replaced when a
 * newer invitation took over) and moves only by compare-and-set; used_at is set when it ends.
 * `apps` (JSON client ids of the tenant's sso_apps) are assigned to the user, in sso_app_users,
 * when the activation completes.
 */
export const activations: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("sso_activations")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("apps", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("authenticator_id", "text")
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("sso_activations_by_user")
      .on("sso_activations")
      .columns(["user_id", "used_at"])
      .execute();
    // Housekeeping deletes expired activations (sweep-activations.ts).
    await db.schema
      .createIndex("sso_activations_by_expiry")
      .on("sso_activations")
      .columns(["expires_at"])
      .execute();

    await db.schema
      .createTable("sso_app_users")
      .addColumn("client_id", "text", (c) => c.notNull().references("sso_apps.client_id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("sso_app_users_pk", ["client_id", "user_id"])
      .execute();
    await db.schema
      .createIndex("sso_app_users_by_user")
      .on("sso_app_users")
      .columns(["user_id", "client_id"])
      .execute();
  },
};
