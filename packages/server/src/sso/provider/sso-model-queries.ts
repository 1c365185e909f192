import type { Kysely } from "kysely";
import {
  groupCommittedCommand,
  perDatabase,
  preparedCommand,
  preparedQuery,
} from "../../storage/prepared-query.ts";
import type { Schema } from "../../storage/schema.ts";

/**
 * The adapter's hot statements (oidc-adapter.ts), compiled once per database: every token-endpoint
 * request runs several of them, and building each with Kysely cost more CPU than SQLite spends
 * answering it (docs/performance.md, "#12 SSO"). Every one names the tenant, as the adapter does.
 */
type Key = { model: string; idHash: string; tenantId: string };
type Row = Omit<Schema["sso_models"], "model" | "id_hash" | "tenant_id" | "consumed_at" | "polled_at">;
type Found = Pick<Schema["sso_models"], "id_hash" | "payload_enc" | "expires_at" | "consumed_at">;

/**
 * Insert, or replace the payload of the tenant's row with the same id (never another tenant's).
 * Group-committed on SQLite: every grant writes a row, and a commit per row cost more than the row.
 */
export const upsertModel = perDatabase((db: Kysely<Schema>) =>
  groupCommittedCommand<Schema, Key & Row>(db, (p) => {
    const row = {
      payload_enc: p("payload_enc"),
      grant_id: p("grant_id"),
      client_id: p("client_id"),
      account_id: p("account_id"),
      user_code_hash: p("user_code_hash"),
      uid_hash: p("uid_hash"),
      expires_at: p("expires_at"),
    };
    return db
      .insertInto("sso_models")
      .values({
        model: p("model"),
        id_hash: p("idHash"),
        tenant_id: p("tenantId"),
        consumed_at: null,
        ...row,
      })
      .onConflict((oc) =>
        oc.columns(["model", "id_hash"]).doUpdateSet(row).where("sso_models.tenant_id", "=", p("tenantId")),
      );
  }),
);

const findBy = (column: "id_hash" | "user_code_hash" | "uid_hash") =>
  perDatabase((db: Kysely<Schema>) =>
    preparedQuery<Schema, { model: string; value: string; tenantId: string }, Found>(db, (p) =>
      db
        .selectFrom("sso_models")
        .select(["id_hash", "payload_enc", "expires_at", "consumed_at"])
        .where("model", "=", p("model"))
        .where(column, "=", p("value"))
        .where("tenant_id", "=", p("tenantId")),
    ),
  );

export const findModelBy = {
  id_hash: findBy("id_hash"),
  user_code_hash: findBy("user_code_hash"),
  uid_hash: findBy("uid_hash"),
};

/** The compare-and-set that consumes a single-use model: a row only when this call consumed it. */
export const consumeModel = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, Key & { now: number }, { grant_id: string | null }>(db, (p) =>
    db
      .updateTable("sso_models")
      .set({ consumed_at: p("now") })
      .where("model", "=", p("model"))
      .where("id_hash", "=", p("idHash"))
      .where("tenant_id", "=", p("tenantId"))
      .where("consumed_at", "is", null)
      .returning("grant_id"),
  ),
);

export const destroyModel = perDatabase((db: Kysely<Schema>) =>
  preparedCommand<Schema, Key>(db, (p) =>
    db
      .deleteFrom("sso_models")
      .where("model", "=", p("model"))
      .where("id_hash", "=", p("idHash"))
      .where("tenant_id", "=", p("tenantId")),
  ),
);
