import type { Kysely } from "kysely";
import { addressGroup } from "../rate-limits/address-group.ts";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
import type { Schema } from "../storage/schema.ts";

/**
 * Failed API-key attempts counted per source address group (an IPv4 address, an IPv6 /64) in the
 * database, so the limit holds across all server processes. Reaching the limit locks the source
 * for the configured time, but only for keys that do not verify: a valid key is served whatever
 * other clients behind the same address did, so nobody can lock out a key's owner. Keys are 256-bit
 * random, so the lock is not about guessing; it bounds the work a flood of bad keys costs (no more
 * writes, one read each) and tells a misconfigured client to stop.
 */
const WINDOW_MS = 15 * 60_000;

export interface LockoutPolicy {
  readonly failureLimit: number;
  readonly lockoutSeconds: number;
}

const lockQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, { source: string }, { locked_until: number | null }>(db, (p) =>
    db.selectFrom("source_failures").select("locked_until").where("source", "=", p("source")),
  ),
);

export async function lockedUntil(
  db: Kysely<Schema>,
  source: string,
  now: number,
): Promise<number | undefined> {
  const until = (await lockQuery(db)({ source }))[0]?.locked_until ?? null;
  return until !== null && Number(until) > now ? Number(until) : undefined;
}

/**
 * Counts one bad key from `source` in one atomic statement and says whether it was within the
 * limit. The count decides, not an earlier read: in a burst spread over processes, exactly
 * `failureLimit` bad keys are answered "invalid" per window and every further one gets the lock,
 * whatever order they arrive in. A window or lock that is over starts a fresh count.
 */
export async function recordSourceFailure(
  db: Kysely<Schema>,
  source: string,
  now: number,
  policy: LockoutPolicy,
): Promise<{ readonly lockedUntil?: number }> {
  const lockEnd = now + policy.lockoutSeconds * 1000;
  const row = await db
    .insertInto("source_failures")
    .values({
      source,
      failures: 1,
      window_started_at: now,
      locked_until: policy.failureLimit <= 1 ? lockEnd : null,
    })
    .onConflict((oc) =>
      oc.column("source").doUpdateSet((eb) => {
        // Every right-hand side reads the row as it was before this update (SQLite and PostgreSQL).
        // A lock runs its full time even when it outlasts the counting window.
        const over = eb.or([
          eb.and([
            eb("source_failures.locked_until", "is", null),
            eb("source_failures.window_started_at", "<", now - WINDOW_MS),
          ]),
          eb("source_failures.locked_until", "<=", now),
        ]);
        return {
          failures: eb
            .case()
            .when(over)
            .then(1)
            .else(eb("source_failures.failures", "+", 1))
            .end(),
          window_started_at: eb
            .case()
            .when(over)
            .then(now)
            .else(eb.ref("source_failures.window_started_at"))
            .end(),
          locked_until: eb
            .case()
            .when(over)
            .then(policy.failureLimit <= 1 ? lockEnd : null)
            .when("source_failures.locked_until", "is not", null)
            .then(eb.ref("source_failures.locked_until"))
            .when(eb("source_failures.failures", "+", 1), ">=", policy.failureLimit)
            .then(lockEnd)
            .else(null)
            .end(),
        };
      }),
    )
    .returning(["failures", "locked_until"])
    .executeTakeFirstOrThrow();
  return row.failures > policy.failureLimit && row.locked_until !== null
    ? { lockedUntil: Number(row.locked_until) }
    : {};
}

/**
 * `tessera tenant unlock-source`: forgets the failures and lock of the group `address` belongs
 * to. Answers the group, or undefined when nothing was recorded for it.
 */
export async function clearSourceLock(
  db: Kysely<Schema>,
  address: string,
): Promise<{ readonly group: string; readonly lockedUntil: number | null } | undefined> {
  const group = addressGroup(address);
  const row = await db
    .deleteFrom("source_failures")
    .where("source", "=", group)
    .returning("locked_until")
    .executeTakeFirst();
  return row === undefined ? undefined : { group, lockedUntil: row.locked_until };
}
