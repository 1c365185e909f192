import type { SelectQueryBuilder } from "kysely";
import type { ServerContext } from "../app/server-context.ts";

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
