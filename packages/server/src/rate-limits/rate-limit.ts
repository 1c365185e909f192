import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";

/**
 * Fixed-window counters in the database, so a limit holds across server processes. One atomic
 * upsert counts the attempt and says whether it is within the limit.
 */
export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Counts one attempt under `key`; returns undefined when allowed, or when to retry (epoch ms). */
export async function consumeRateLimit(
  db: Kysely<Schema>,
  key: string,
  rule: RateLimit,
  now: number,
): Promise<number | undefined> {
  const windowStart = now - rule.windowMs;
  const row = await db
    .insertInto("rate_limits")
    .values({ key, count: 1, window_started_at: now })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet((eb) => ({
        count: eb
          .case()
          .when("rate_limits.window_started_at", "<=", windowStart)
          .then(1)
          .else(eb("rate_limits.count", "+", 1))
          .end(),
        window_started_at: eb
          .case()
          .when("rate_limits.window_started_at", "<=", windowStart)
          .then(now)
          .else(eb.ref("rate_limits.window_started_at"))
          .end(),
      })),
    )
    .returning(["count", "window_started_at"])
    .executeTakeFirstOrThrow();
  return row.count <= rule.limit ? undefined : row.window_started_at + rule.windowMs;
}
