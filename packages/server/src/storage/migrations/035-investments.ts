import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Investment accounts' data (link/data/upsert-investments.ts), beside link_transactions:
 * - link_positions: the holdings as of the last statement, replaced whole by each sync (a
 *   position the broker no longer lists is gone); `ordinal` keeps the statement's order, since a
 *   broker may list one security twice (held in two sub-accounts).
 * - link_investment_transactions: buys, sells, income, reinvestments, transfers and cash
 *   (INVBANKTRAN), keyed by the broker's FITID so that a re-sync updates, never duplicates.
 * - link_securities: the securities the statement lists (SECLIST), keyed by id type and id.
 * Amounts are decimal text exactly as the broker wrote them, like link_transactions.amount.
 * An OFX site stored with all six bank and card account types (what "all" was stored as before
 * `investment` was one) gets `investment` added, so its brokerage accounts are synced too.
 */
const ALL_BEFORE = "checking,savings,moneymrkt,cd,creditline,creditcard";
export const investments: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("link_positions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull().references("link_accounts.id").onDelete("cascade"))
      .addColumn("ordinal", "integer", (c) => c.notNull())
      .addColumn("security_id", "text", (c) => c.notNull())
      .addColumn("security_id_type", "text", (c) => c.notNull())
      .addColumn("held_in", "text")
      .addColumn("position_type", "text")
      .addColumn("units", "text", (c) => c.notNull())
      .addColumn("unit_price", "text", (c) => c.notNull())
      .addColumn("market_value", "text", (c) => c.notNull())
      .addColumn("price_as_of", "text", (c) => c.notNull())
      .addColumn("memo", "text")
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("link_positions_ordinal_unique", ["account_id", "ordinal"])
      .execute();

    await db.schema
      .createTable("link_investment_transactions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull().references("link_accounts.id").onDelete("cascade"))
      .addColumn("external_id", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("ofx_type", "text", (c) => c.notNull())
      .addColumn("subtype", "text")
      .addColumn("trade_date", "text", (c) => c.notNull())
      .addColumn("settle_date", "text")
      .addColumn("security_id", "text")
      .addColumn("security_id_type", "text")
      .addColumn("units", "text")
      .addColumn("unit_price", "text")
      .addColumn("total", "text")
      .addColumn("description", "text")
      .addColumn("content_hash", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("link_investment_transactions_external_unique", ["account_id", "external_id"])
      .execute();
    await db.schema
      .createIndex("link_investment_transactions_by_date")
      .on("link_investment_transactions")
      .columns(["account_id", "trade_date", "id"])
      .execute();

    await db.schema
      .createTable("link_securities")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull().references("link_accounts.id").onDelete("cascade"))
      .addColumn("security_id", "text", (c) => c.notNull())
      .addColumn("security_id_type", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("ticker", "text")
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("link_securities_unique", ["account_id", "security_id_type", "security_id"])
      .execute();

    const sites = await sql<{ id: string; options: string }>`SELECT id, options FROM link_sites`.execute(db);
    for (const site of sites.rows) {
      const options = JSON.parse(site.options) as Record<string, unknown>;
      if (options.accountTypes !== ALL_BEFORE) continue;
      const widened = JSON.stringify({ ...options, accountTypes: `${ALL_BEFORE},investment` });
      await sql`UPDATE link_sites SET options = ${widened} WHERE id = ${site.id}`.execute(db);
    }
  },
};
