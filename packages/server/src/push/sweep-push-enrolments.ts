import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "../housekeeping/batches.ts";

/**
 * Enrolment links are deleted once they expire, used or not: a used link has done its work (the
 * device row records the enrolment), and an unused expired one only answers NotFound anyway.
 */
export const pushEnrolmentsSweep: Sweep = {
  kind: "push_enrolments",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "push_enrolments", "id", (rows) =>
      rows.where("expires_at", "<=", now),
    );
  },
};
