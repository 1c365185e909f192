import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "./batches.ts";
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
    return deleteDueInBatches(ctx, budget, "link_webhook_deliveries", "id", (rows) =>
      rows.where("state", "in", ["delivered", "failed"]).where("next_attempt_at", "<=", cutoff),
    );
  },
};
