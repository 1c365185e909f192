import type { Kysely, SelectQueryBuilder } from "kysely";
import type { ServerContext } from "../app/server-context.ts";
import type { Schema } from "../storage/schema.ts";

/** How much one kind of data may delete in one round (housekeeping.batchSize; MAX_BATCHES). */
export interface Budget {
  readonly batchSize: number;
  readonly maxBatches: number;
}

/**
 * A round deletes at most this many batches of each kind: a backlog (a first start after a long
 * time, a retention shortened) is worked off over several rounds instead of in one long burst.
 */
export const MAX_BATCHES = 100;

/** One kind of data housekeeping deletes once it is past its time. */
export interface Sweep {
  /** The `kind` label of tessera_housekeeping_deleted_total. */
  readonly kind: string;
  /** Deletes what is due at `now`; how many rows it deleted. */
  run(ctx: ServerContext, now: number, budget: Budget): Promise<number>;
}

/**
 * Runs `deleteBatch` (which deletes at most `limit` rows and says how many it did) until a batch
 * comes back short or the budget is used. Each batch is its own statement, so no statement holds
 * its locks (SQLite's one writer, PostgreSQL's row locks) for more than one batch.
 */
export async function inBatches(
  budget: Budget,
  deleteBatch: (limit: number) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < budget.maxBatches; batch++) {
    const deleted = await deleteBatch(budget.batchSize);
    total += deleted;
    if (deleted < budget.batchSize) break;
  }
  return total;
}

/**
 * On PostgreSQL a batch's rows are locked as they are picked and rows another process is deleting
 * right now are skipped, so concurrent rounds split the work instead of queueing behind each other
 * (and each row is deleted, and counted, once). SQLite has one writer: nothing to skip.
 */
export function skippingLocked<DB, TB extends keyof DB, O>(
  ctx: ServerContext,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return ctx.database.dialect === "postgres" ? query.forUpdate().skipLocked() : query;
}

/** Rows a delete statement removed, as a number. */
export const deletedRows = (result: { numDeletedRows: bigint }): number => Number(result.numDeletedRows);

type Table = keyof Schema & string;
/** The rows of one table a round may pick: `table` with no columns selected yet. */
type Rows<T extends Table> = SelectQueryBuilder<Schema, T, object>;

/**
 * The one shape of (almost) every sweep: `delete from table where key in (select key from table
 * where <due> limit N)`, in batches (inBatches), skipping rows locked by another process on
 * PostgreSQL (skippingLocked). Each sweep keeps what is its own: the table, its key and which rows
 * are due (`due` adds the where clauses).
 */
export function deleteDueInBatches<T extends Table>(
  ctx: ServerContext,
  budget: Budget,
  table: T,
  key: keyof Schema[T] & string,
  due: (rows: Rows<T>) => Rows<T>,
): Promise<number> {
  // Kysely cannot check a column name generic over the table; the callers' `table`/`key` are
  // checked by the signature above, and `due` is built on the real schema's types.
  const db = ctx.database.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const rows = ctx.database.db.selectFrom(table as Table) as unknown as Rows<T>;
  return inBatches(budget, async (limit) =>
    deletedRows(
      await db
        .deleteFrom(table as string)
        .where(
          key,
          "in",
          () =>
            skippingLocked(
              ctx,
              due(rows)
                .select(key as never)
                .limit(limit),
            ) as never,
        )
        .executeTakeFirst(),
    ),
  );
}
