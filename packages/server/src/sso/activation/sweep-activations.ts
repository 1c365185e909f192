import type { ServerContext } from "../../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "../../housekeeping/batches.ts";

/**
 * An activation past its expiry is refused like an unknown one and nothing reads it back (its
 * outcome is in the audit trail), so housekeeping deletes it, whatever its state; the apps it
 * assigned stay assigned (sso_app_users).
 */
export const activationsSweep: Sweep = {
  kind: "sso_activations",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "sso_activations", "id_hash", (rows) =>
      rows.where("expires_at", "<=", now),
    );
  },
};
