import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "./batches.ts";

/**
 * A sign-in's state (sso/interactions/) is useless once its interaction has expired: it is read
 * only while the interaction lives, and an expired row already answers as absent. It is kept an
 * hour longer so a replay shortly after the end still finds the finished row (and is told apart
 * in the audit trail as a replay rather than an unknown interaction); then it is deleted.
 */
export const SIGN_IN_KEPT_MS = 3600_000;

export const ssoSignInsSweep: Sweep = {
  kind: "sso_sign_ins",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "sso_sign_ins", "uid_hash", (rows) =>
      rows.where("expires_at", "<=", now - SIGN_IN_KEPT_MS),
    );
  },
};
