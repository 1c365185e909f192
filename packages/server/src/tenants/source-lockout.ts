import type { Kysely } from "kysely";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
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
  return until !== null && until > now ? until : undefined;
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
