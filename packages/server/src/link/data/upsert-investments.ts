import { createHash, randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { Schema } from "../../storage/schema.ts";
import type { InvestmentBatch } from "../connectors/connector.ts";
import type { UpsertCounts } from "./upsert-data.ts";

/**
 * An investment account's statement, written inside the run's lease-checked transaction like
 * bank transactions (upsert-data.ts): positions are a snapshot and replace the stored ones;
 * investment transactions are keyed by the broker's FITID (an unchanged one is not rewritten, a
 * changed one is updated in place); securities by id type and id.
 */
const CHUNK = 200;

function transactionRow(t: InvestmentBatch["transactions"][number]) {
  const values = {
    action: t.action,
    ofx_type: t.ofxType,
    subtype: t.subtype ?? null,
    trade_date: t.tradeDate,
    settle_date: t.settleDate ?? null,
    security_id: t.securityId ?? null,
    security_id_type: t.securityIdType ?? null,
    units: t.units ?? null,
    unit_price: t.unitPrice ?? null,
    total: t.total ?? null,
    description: t.description ?? null,
  };
  const hash = createHash("sha256")
    .update(JSON.stringify(Object.values(values)))
    .digest("base64url");
  return { ...values, content_hash: hash };
}

async function replacePositions(
  trx: Transaction<Schema>,
  tenantId: string,
  accountId: string,
  batch: InvestmentBatch,
  now: number,
) {
  await trx.deleteFrom("link_positions").where("account_id", "=", accountId).execute();
  const rows = batch.positions.map((p, ordinal) => ({
    id: randomUUID(),
    tenant_id: tenantId,
    account_id: accountId,
    ordinal,
    security_id: p.securityId,
    security_id_type: p.securityIdType,
    held_in: p.heldIn ?? null,
    position_type: p.positionType ?? null,
    units: p.units,
    unit_price: p.unitPrice,
    market_value: p.marketValue,
    price_as_of: p.priceAsOf,
    memo: p.memo ?? null,
    updated_at: now,
  }));
  for (let i = 0; i < rows.length; i += CHUNK)
    await trx
      .insertInto("link_positions")
      .values(rows.slice(i, i + CHUNK))
      .execute();
}

async function upsertSecurities(
  trx: Transaction<Schema>,
  tenantId: string,
  accountId: string,
  batch: InvestmentBatch,
  now: number,
) {
  for (const s of batch.securities) {
    const values = { name: s.name, ticker: s.ticker ?? null, type: s.type, updated_at: now };
    await trx
      .insertInto("link_securities")
      .values({
        id: randomUUID(),
        tenant_id: tenantId,
        account_id: accountId,
        security_id: s.securityId,
        security_id_type: s.securityIdType,
        ...values,
      })
      .onConflict((oc) => oc.columns(["account_id", "security_id_type", "security_id"]).doUpdateSet(values))
      .execute();
  }
}

export async function upsertInvestments(
  trx: Transaction<Schema>,
  tenantId: string,
  accountId: string,
  batch: InvestmentBatch,
  now: number,
): Promise<UpsertCounts> {
  await replacePositions(trx, tenantId, accountId, batch, now);
  await upsertSecurities(trx, tenantId, accountId, batch, now);
  // A broker may list one FITID twice (overlapping periods); the last copy wins.
  const unique = [...new Map(batch.transactions.map((t) => [t.fitId, t])).values()];
  let added = 0;
  let updated = 0;
  for (const t of unique) {
    const row = transactionRow(t);
    const known = await trx
      .selectFrom("link_investment_transactions")
      .select("content_hash")
      .where("account_id", "=", accountId)
      .where("external_id", "=", t.fitId)
      .executeTakeFirst();
    if (known?.content_hash === row.content_hash) continue;
    await trx
      .insertInto("link_investment_transactions")
      .values({
        id: randomUUID(),
        tenant_id: tenantId,
        account_id: accountId,
        external_id: t.fitId,
        created_at: now,
        updated_at: now,
        ...row,
      })
      .onConflict((oc) => oc.columns(["account_id", "external_id"]).doUpdateSet({ ...row, updated_at: now }))
      .execute();
    if (known === undefined) added += 1;
    else updated += 1;
  }
  return { added, updated };
}
