import { IDEMPOTENCY_TTL_MS } from "../idempotency/idempotency.ts";
import { reportRefusedRequests } from "../rate-limits/refused-requests.ts";
import type { ServerContext } from "./server-context.ts";

const EVERY_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/**
 * Removes expired idempotency keys and old rate-limit windows, and audits the aggregated refused
 * requests of finished windows, every ten minutes. Each step is idempotent or claims its rows, so
 * several server processes may run it at once.
 */
export function startHousekeeping(ctx: ServerContext): NodeJS.Timeout {
  const timer = setInterval(async () => {
    const now = ctx.clock.now();
    try {
      await ctx.database.db
        .deleteFrom("idempotency_keys")
        .where("created_at", "<=", now - IDEMPOTENCY_TTL_MS)
        .execute();
      await ctx.database.db
        .deleteFrom("rate_limits")
        .where("window_started_at", "<=", now - DAY_MS)
        .execute();
      await ctx.database.db
        .deleteFrom("source_failures")
        .where("window_started_at", "<=", now - DAY_MS)
        .execute();
      await reportRefusedRequests(ctx.database.db, ctx.audit, now);
    } catch {
      // The database may be briefly unavailable; the next round tries again.
    }
  }, EVERY_MS);
  timer.unref();
  return timer;
}
