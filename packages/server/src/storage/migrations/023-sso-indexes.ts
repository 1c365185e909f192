import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Partial indexes on sso_models: the grant, user-code, uid and client indexes of migration 015 hold
 * only the rows that have the column. Most rows have few of them (a client-credentials token has
 * no grant, user code or uid; an interaction has no client), and each insert updated every b-tree
 * anyway, NULL or not: the token endpoint writes one row per grant, so this is the cost of every
 * grant (docs/performance.md, "#12 SSO"). Every query on these columns compares them with `=`,
 * which implies IS NOT NULL, so SQLite and PostgreSQL still use the indexes for it. The expiry
 * index stays whole: the sweeper looks for rows by it.
 */
const partial = [
  { name: "sso_models_by_client", columns: ["tenant_id", "client_id"], column: "client_id" },
  { name: "sso_models_by_grant", columns: ["grant_id"], column: "grant_id" },
  { name: "sso_models_by_user_code", columns: ["user_code_hash"], column: "user_code_hash" },
  { name: "sso_models_by_uid", columns: ["uid_hash"], column: "uid_hash" },
];

export const ssoIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    for (const index of partial) {
      await db.schema.dropIndex(index.name).execute();
      await db.schema
        .createIndex(index.name)
        .on("sso_models")
        .columns(index.columns)
        .where(sql.ref(index.column), "is not", null)
        .execute();
    }
  },
};
