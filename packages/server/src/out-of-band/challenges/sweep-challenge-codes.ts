import type { ServerContext } from "../../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "../../housekeeping/batches.ts";

/**
 * A sent code a day past its expiry, used or not, is deleted: until then a late answer still
 * hears SendOTPExpired (send a new one) rather than an unknown challenge. Nothing else reads it.
 */
export const CHALLENGE_CODE_KEPT_MS = 86_400_000;

export const challengeCodesSweep: Sweep = {
  kind: "challenge_codes",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "challenge_codes", "id", (rows) =>
      rows.where("expires_at", "<=", now - CHALLENGE_CODE_KEPT_MS),
    );
  },
};
