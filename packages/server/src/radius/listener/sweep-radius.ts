import type { ServerContext } from "../../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "../../housekeeping/batches.ts";

/** Answers kept for retransmissions, once no NAS retransmits any more (answered-packets.ts). */
export const radiusAnswersSweep: Sweep = {
  kind: "radius_answers",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "radius_answers", "packet_key", (rows) =>
      rows.where("expires_at", "<=", now),
    );
  },
};

/** Challenges past their expiry: an expired State answers like an unknown one, so it goes at once. */
export const radiusChallengesSweep: Sweep = {
  kind: "radius_challenges",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "radius_challenges", "state_hash", (rows) =>
      rows.where("expires_at", "<=", now),
    );
  },
};
