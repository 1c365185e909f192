import type { ServerContext } from "../app/server-context.ts";
import { IDEMPOTENCY_TTL_MS } from "../idempotency/idempotency.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "./batches.ts";

/**
 * Idempotency keys (stored answers and unanswered claims alike) past their 24 hours. A claim is
 * re-dated when it is taken over, so only keys nobody can replay or take over any more go; a
 * request that reuses one after this simply claims it afresh, as it would have anyway.
 */
export const idempotencyKeysSweep: Sweep = {
  kind: "idempotency_keys",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "idempotency_keys", "id", (rows) =>
      rows.where("created_at", "<=", now - IDEMPOTENCY_TTL_MS),
    );
  },
};
