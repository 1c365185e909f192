import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deletedRows, inBatches, type Sweep, skippingLocked } from "./batches.ts";

/** Every rate-limit and failure window is far shorter than a day; a day-old one counts nothing. */
const WINDOW_KEPT_MS = 86_400_000;

export const rateLimitsSweep: Sweep = {
  kind: "rate_limits",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const db = ctx.database.db;
    return inBatches(budget, async (limit) =>
      deletedRows(
        await db
          .deleteFrom("rate_limits")
          .where("key", "in", () =>
            skippingLocked(
              ctx,
              db
                .selectFrom("rate_limits")
                .select("key")
                .where("window_started_at", "<=", now - WINDOW_KEPT_MS)
                .limit(limit),
            ),
          )
          .executeTakeFirst(),
      ),
    );
  },
};

/** A source's failure window, once a day old and no longer locking the source out. */
export const sourceFailuresSweep: Sweep = {
  kind: "source_failures",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const db = ctx.database.db;
    return inBatches(budget, async (limit) =>
      deletedRows(
        await db
          .deleteFrom("source_failures")
          .where("source", "in", () =>
            skippingLocked(
              ctx,
              db
                .selectFrom("source_failures")
                .select("source")
                .where("window_started_at", "<=", now - WINDOW_KEPT_MS)
                .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
                .limit(limit),
            ),
          )
          .executeTakeFirst(),
      ),
    );
  },
};
