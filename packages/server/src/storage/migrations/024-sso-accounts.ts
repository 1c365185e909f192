import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Whose each oidc-provider model is (a SHA-256 of the payload's accountId, like the other columns
 * that name something: sessions, grants, codes, tokens),
 * so that a password change, a disabled or a deleted user ends every SSO session and revokes
 * every grant and refresh token of that user at once (sso/provider/account-revocation.ts).
 * Rows written before this migration have none and keep working until they expire.
 */
export const ssoAccounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("sso_models").addColumn("account_id", "text").execute();
    await db.schema
      .createIndex("sso_models_account")
      .on("sso_models")
      .columns(["tenant_id", "account_id"])
      .execute();
  },
};
