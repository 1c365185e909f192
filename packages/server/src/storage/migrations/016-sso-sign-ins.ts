import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The sign-in pages' state per oidc-provider interaction (sso/interactions/): which step the
 * person is at, who they proved to be so far and with what. Rows are keyed by the SHA-256 of the
 * interaction uid (the uid travels in URLs; a copy of the database must not name live ones) and
 * carry the tenant, so one tenant's pages never find another's sign-in. Every step change is a
 * compare-and-set on `step` (sso/interactions/sign-in-store.ts).
 *
 * Two tenant settings go with it: whether SSO sign-in requires a second factor (`required`, the
 * default, or `optional`: only when the user has one or the app requires it) and whether a user
 * without one may enrol a TOTP token on the sign-in page itself (0, the default: see docs/sso.md).
 */
export const ssoSignIns: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("sso_sign_ins")
      .addColumn("uid_hash", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("client_id", "text", (c) => c.notNull())
      .addColumn("step", "text", (c) => c.notNull())
      .addColumn("user_id", "text")
      .addColumn("amr", "text", (c) => c.notNull())
      .addColumn("enrol_id", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("sso_sign_ins_by_expiry")
      .on("sso_sign_ins")
      .columns(["expires_at"])
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("sso_second_factor", "text", (c) => c.notNull().defaultTo("required"))
      .execute();
    await db.schema
      .alterTable("tenants")
      .addColumn("sso_self_enrolment", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
