import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";

/**
 * Failed API-key attempts counted per source address in the database, so the limit holds across
 * all server processes. Failures are counted in a sliding window; reaching the limit locks the
 * source out for the configured time, even with a valid key.
 */
const WINDOW_MS = 15 * 60_000;

export interface LockoutPolicy {
  readonly failureLimit: number;
  readonly lockoutSeconds: number;
}

export async function lockedUntil(
  db: Kysely<Schema>,
  source: string,
  now: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("source_failures")
    .select("locked_until")
    .where("source", "=", source)
    .executeTakeFirst();
  return row?.locked_until !== null && row?.locked_until !== undefined && row.locked_until > now
    ? row.locked_until
    : undefined;
}

export async function recordSourceFailure(
  db: Kysely<Schema>,
  source: string,
  now: number,
  policy: LockoutPolicy,
): Promise<void> {
  const windowStart = now - WINDOW_MS;
  const row = await db
    .insertInto("source_failures")
    .values({ source, failures: 1, window_started_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.column("source").doUpdateSet((eb) => ({
        failures: eb
          .case()
          .when("source_failures.window_started_at", "<", windowStart)
          .then(1)
          .else(eb("source_failures.failures", "+", 1))
          .end(),
        window_started_at: eb
          .case()
          .when("source_failures.window_started_at", "<", windowStart)
          .then(now)
          .else(eb.ref("source_failures.window_started_at"))
          .end(),
      })),
    )
    .returning("failures")
    .executeTakeFirstOrThrow();
  if (row.failures >= policy.failureLimit) {
    await db
      .updateTable("source_failures")
      .set({ locked_until: now + policy.lockoutSeconds * 1000, failures: 0, window_started_at: now })
      .where("source", "=", source)
      .execute();
  }
}
