import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * At most one current (not retired) signing key per algorithm, enforced by the database: two
 * processes starting at once on an empty installation, or two rotations at once, could otherwise
 * both insert a current key, and the issuers would then sign with whichever they read first
 * (sso/provider/signing-keys.ts relies on this index to make the loser's insert a no-op or an error).
 */
export const ssoKeys: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex("sso_signing_keys_current")
      .on("sso_signing_keys")
      .column("alg")
      .unique()
      .where(sql.ref("retired_at"), "is", null)
      .execute();
  },
};
