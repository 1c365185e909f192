import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "./batches.ts";

/**
 * The back end reads a recovery request back (GET /v1/password-recovery/{rid}: how its e-mail
 * went, whether it was used) for a day after its link expired; then the request is deleted. A used
 * or superseded request has the same expiry, so it goes at the same time.
 */
export const RECOVERY_READABLE_MS = 86_400_000;

export const recoveriesSweep: Sweep = {
  kind: "password_recoveries",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "password_recoveries", "id", (rows) =>
      rows.where("expires_at", "<=", now - RECOVERY_READABLE_MS),
    );
  },
};
