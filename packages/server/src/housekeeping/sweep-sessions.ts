import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "./batches.ts";

/**
 * Sessions that ended, by expiry or by revocation (sign-out, a password change). An ended session
 * answers exactly like an unknown token (sessions/session-store.ts), so it goes at once.
 */
export const sessionsSweep: Sweep = {
  kind: "sessions",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const sweep = (column: "expires_at" | "revoked_at") =>
      deleteDueInBatches(ctx, budget, "sessions", "token_hash", (rows) => rows.where(column, "<=", now));
    return (await sweep("expires_at")) + (await sweep("revoked_at"));
  },
};
