import { createHash, randomUUID } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { Schema } from "../../storage/schema.ts";
import type { ConnectorAccount, ConnectorTransaction } from "../connectors/connector.ts";

/**
 * Idempotent upserts keyed by the site's own ids: a second sync of the same data writes nothing,
 * a changed transaction is updated in place, never duplicated. A runner writes them inside its
 * lease-checked transaction (jobs/job-run.ts: leased), so a runner that lost its job writes none of them.
 */
export interface UpsertCounts {
  readonly added: number;
  readonly updated: number;
}

export async function upsertAccount(
  db: Kysely<Schema>,
  credential: { id: string; tenant_id: string; user_id: string },
  account: ConnectorAccount,
  now: number,
): Promise<string> {
  const values = {
    name: account.name,
    kind: account.kind,
    currency: account.currency,
    balance: account.balance ?? null,
    number_mask: account.numberMask ?? null,
    updated_at: now,
  };
  const row = await db
    .insertInto("link_accounts")
    .values({
      id: randomUUID(),
      tenant_id: credential.tenant_id,
      credential_id: credential.id,
      user_id: credential.user_id,
      external_id: account.externalId,
      created_at: now,
      ...values,
    })
    .onConflict((oc) =>
      oc.columns(["credential_id", "external_id"]).doUpdateSet({
        ...values,
        // A statement without a balance keeps the one already known.
        ...(account.balance === undefined ? { balance: (eb) => eb.ref("link_accounts.balance") } : {}),
      }),
    )
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function setBalance(db: Kysely<Schema>, accountId: string, balance: string, now: number) {
  await db
    .updateTable("link_accounts")
    .set({ balance, updated_at: now })
    .where("id", "=", accountId)
    .execute();
}

function contentHash(t: ConnectorTransaction): string {
  return createHash("sha256")
    .update(JSON.stringify([t.postedOn, t.amount, t.description, t.memo ?? null, t.kind ?? null]))
    .digest("base64url");
}

export async function upsertTransactions(
  trx: Transaction<Schema>,
  tenantId: string,
  accountId: string,
  transactions: readonly ConnectorTransaction[],
  now: number,
): Promise<UpsertCounts> {
  if (transactions.length === 0) return { added: 0, updated: 0 };
  // A site may list one id twice (pages overlapping); the last copy wins.
  const unique = [...new Map(transactions.map((t) => [t.externalId, t])).values()];
  const known = new Map<string, string>();
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await trx
      .selectFrom("link_transactions")
      .select(["external_id", "content_hash"])
      .where("account_id", "=", accountId)
      .where(
        "external_id",
        "in",
        unique.slice(i, i + 500).map((t) => t.externalId),
      )
      .execute();
    for (const row of rows) known.set(row.external_id, row.content_hash);
  }
  const fresh = [];
  let updated = 0;
  for (const t of unique) {
    const hash = contentHash(t);
    const previous = known.get(t.externalId);
    if (previous === hash) continue;
    const values = {
      posted_on: t.postedOn,
      amount: t.amount,
      description: t.description,
      memo: t.memo ?? null,
      kind: t.kind ?? null,
      content_hash: hash,
      updated_at: now,
    };
    if (previous === undefined) {
      fresh.push({
        id: randomUUID(),
        tenant_id: tenantId,
        account_id: accountId,
        external_id: t.externalId,
        created_at: now,
        ...values,
      });
      continue;
    }
    await trx
      .updateTable("link_transactions")
      .set(values)
      .where("account_id", "=", accountId)
      .where("external_id", "=", t.externalId)
      .execute();
    updated += 1;
  }
  // New transactions go in as multi-row inserts; a row another sync inserted meanwhile is updated.
  for (let i = 0; i < fresh.length; i += 200) {
    await trx
      .insertInto("link_transactions")
      .values(fresh.slice(i, i + 200))
      .onConflict((oc) =>
        oc.columns(["account_id", "external_id"]).doUpdateSet((eb) => ({
          posted_on: eb.ref("excluded.posted_on"),
          amount: eb.ref("excluded.amount"),
          description: eb.ref("excluded.description"),
          memo: eb.ref("excluded.memo"),
          kind: eb.ref("excluded.kind"),
          content_hash: eb.ref("excluded.content_hash"),
          updated_at: eb.ref("excluded.updated_at"),
        })),
      )
      .execute();
  }
  const added = fresh.length;
  return { added, updated };
}
