import { type Kysely, sql } from "kysely";
import type { Schema } from "../../src/storage/schema.ts";

/**
 * Every row a sync job's run can write (job, timeline, credential, accounts, transactions, investment
 * data, webhook outbox), in a stable order: equal snapshots mean a run wrote nothing in between.
 */
const tables = [
  "link_jobs",
  "link_job_events",
  "link_credentials",
  "link_accounts",
  "link_transactions",
  "link_positions",
  "link_investment_transactions",
  "link_securities",
  "link_webhook_deliveries",
] as const;

export async function jobWrites(db: Kysely<Schema>): Promise<string[]> {
  const rows: string[] = [];
  for (const table of tables) {
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    rows.push(...result.rows.map((row) => `${table} ${JSON.stringify(row)}`));
  }
  return rows.sort();
}
