import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deletedRows, inBatches, type Sweep, skippingLocked } from "./batches.ts";

/**
 * Sessions that ended, by expiry or by revocation (sign-out, a password change). An ended session
 * answers exactly like an unknown token (sessions/session-store.ts), so it goes at once.
 */
export const sessionsSweep: Sweep = {
  kind: "sessions",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const db = ctx.database.db;
    const sweep = (column: "expires_at" | "revoked_at") =>
      inBatches(budget, async (limit) =>
        deletedRows(
          await db
            .deleteFrom("sessions")
            .where("token_hash", "in", () =>
              skippingLocked(
                ctx,
                db.selectFrom("sessions").select("token_hash").where(column, "<=", now).limit(limit),
              ),
            )
            .executeTakeFirst(),
        ),
      );
    return (await sweep("expires_at")) + (await sweep("revoked_at"));
  },
};
