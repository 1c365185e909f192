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
  const counted = await countAttempt(db, key, rule, now);
  return counted.allowed ? undefined : counted.windowStartedAt + rule.windowMs;
}

export interface CountedAttempt {
  readonly allowed: boolean;
  /** The window the attempt was counted in: what refundAttempt needs to take it back. */
  readonly windowStartedAt: number;
}

/** consumeRateLimit, also saying which window the attempt was counted in. */
export async function countAttempt(
  db: Kysely<Schema>,
  key: string,
  rule: RateLimit,
  now: number,
): Promise<CountedAttempt> {
  const [row] = await countQuery(db)({ key, now, windowStart: now - rule.windowMs });
  if (row === undefined) throw new Error("the rate-limit upsert returned no row");
  return { allowed: row.count <= rule.limit, windowStartedAt: Number(row.window_started_at) };
}

/**
 * Takes back one attempt counted by countAttempt, for a caller that counts under several keys and
 * was refused by a later one. Only in the window it was counted in: once that window has been
 * replaced, the attempt no longer counts anyway. Atomic, so concurrent refunds never lose one.
 */
export async function refundAttempt(db: Kysely<Schema>, key: string, counted: CountedAttempt): Promise<void> {
  await db
    .updateTable("rate_limits")
    .set((eb) => ({ count: eb("count", "-", 1) }))
    .where("key", "=", key)
    .where("window_started_at", "=", counted.windowStartedAt)
    .where("count", ">", 0)
    .execute();
}
