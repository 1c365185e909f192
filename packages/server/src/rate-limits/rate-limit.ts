import type { Kysely } from "kysely";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
import type { Schema } from "../storage/schema.ts";

/**
 * Fixed-window counters in the database, so a limit holds across server processes. One atomic
 * upsert counts the attempt and says whether it is within the limit. It runs on every /v1/auth
 * request, so it is compiled once (storage/prepared-query.ts).
 */
export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

type CountParams = { key: string; now: number; windowStart: number };

const countQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, CountParams, { count: number; window_started_at: number }>(db, (p) =>
    db
      .insertInto("rate_limits")
      .values({ key: p("key"), count: 1, window_started_at: p("now") })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet((eb) => ({
          count: eb
            .case()
            .when("rate_limits.window_started_at", "<=", p("windowStart"))
            .then(1)
            .else(eb("rate_limits.count", "+", 1))
            .end(),
          window_started_at: eb
            .case()
            .when("rate_limits.window_started_at", "<=", p("windowStart"))
            .then(p("now"))
            .else(eb.ref("rate_limits.window_started_at"))
            .end(),
        })),
      )
      .returning(["count", "window_started_at"]),
  ),
);

/** Counts one attempt under `key`; returns undefined when allowed, or when to retry (epoch ms). */
export async function consumeRateLimit(
  db: Kysely<Schema>,
  key: string,
  rule: RateLimit,
  now: number,
): Promise<number | undefined> {
  const [row] = await countQuery(db)({ key, now, windowStart: now - rule.windowMs });
  if (row === undefined) throw new Error("the rate-limit upsert returned no row");
  return row.count <= rule.limit ? undefined : Number(row.window_started_at) + rule.windowMs;
}
