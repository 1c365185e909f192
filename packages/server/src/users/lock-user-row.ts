import type { Transaction } from "kysely";
import type { DialectName } from "../storage/database.ts";
import type { Schema } from "../storage/schema.ts";

/**
 * Takes the user's row lock for the rest of the transaction, so that a check-then-insert under a
 * per-user cap (pending pushes, personal access tokens, a user's last factor) holds under bursts and
 * across server processes. PostgreSQL: SELECT … FOR UPDATE. SQLite has one writer at a time, and
 * its transactions start as writers (BEGIN IMMEDIATE, storage/node-sqlite-adapter.ts), so the read alone is enough there.
 */
export async function lockUserRow(
  trx: Transaction<Schema>,
  dialect: DialectName,
  userId: string,
): Promise<void> {
  await trx
    .selectFrom("users")
    .select("id")
    .where("id", "=", userId)
    .$if(dialect === "postgres", (query) => query.forUpdate())
    .execute();
}
