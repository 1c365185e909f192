import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "./batches.ts";

/** Every rate-limit and failure window is far shorter than a day; a day-old one counts nothing. */
const WINDOW_KEPT_MS = 86_400_000;

export const rateLimitsSweep: Sweep = {
  kind: "rate_limits",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "rate_limits", "key", (rows) =>
      rows.where("window_started_at", "<=", now - WINDOW_KEPT_MS),
    );
  },
};

/** A source's failure window, once a day old and no longer locking the source out. */
export const sourceFailuresSweep: Sweep = {
  kind: "source_failures",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "source_failures", "source", (rows) =>
      rows
        .where("window_started_at", "<=", now - WINDOW_KEPT_MS)
        .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)])),
    );
  },
};
