import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deletedRows, inBatches, type Sweep, skippingLocked } from "./batches.ts";
import { linkRetentionCutoff } from "./retention.ts";

/**
 * Webhook deliveries that ended (delivered, or failed for good) past `link.retentionDays`. An
 * ended delivery's next_attempt_at is when it ended (deliver-webhooks.ts), so the outbox's own
 * (state, next_attempt_at) index serves these batches. Pending deliveries stay whatever their age.
 */
export const webhookDeliveriesSweep: Sweep = {
  kind: "link_webhook_deliveries",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    const cutoff = linkRetentionCutoff(ctx.config, now);
    if (cutoff === undefined) return 0;
    const db = ctx.database.db;
    return inBatches(budget, async (limit) =>
      deletedRows(
        await db
          .deleteFrom("link_webhook_deliveries")
          .where("id", "in", () =>
            skippingLocked(
              ctx,
              db
                .selectFrom("link_webhook_deliveries")
                .select("id")
                .where("state", "in", ["delivered", "failed"])
                .where("next_attempt_at", "<=", cutoff)
                .limit(limit),
            ),
          )
          .executeTakeFirst(),
      ),
    );
  },
};
