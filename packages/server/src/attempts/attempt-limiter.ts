import { TesseraError } from "@tessera/codes";
import { type Kysely, sql } from "kysely";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
import type { Schema } from "../storage/schema.ts";

/**
 * One attempt limiter for every secret that can be guessed (passwords, one-time codes), kept in
 * the subject's own row so that it holds across requests and server processes.
 *
 * An attempt is RESERVED before the (possibly expensive) check by one conditional UPDATE: it is
 * refused while the subject is locked, and otherwise counted as a failure right away. The
 * reservation that reaches the limit takes the lock in the same statement, so however many
 * guesses arrive at once, at most `maxFailures` are evaluated per lock. After the check the
 * caller SETTLES it: a success clears everything (even a lock a concurrent guess just took: the
 * right secret was evaluated within the limit); a failure is already counted; an outcome that is
 * no guess at all (a replayed code, a code of another token of the user) is refunded. Because the
 * reservation is the failure, a process that dies between the two steps leaks nothing: the
 * attempt simply stays counted.
 *
 * Locks double with each lock since the last success (capped at 2^10 times the first). After
 * `maxConsecutive` failures in a row the lock lasts until an administrator clears it (NIST SP
 * 800-63B: at most 100 consecutive failures).
 */
export interface AttemptPolicy {
  /** Failures that take a lock. */
  readonly maxFailures: number;
  /** The first lock's length; each further lock doubles it. */
  readonly lockMs: number;
  /** Failures in a row after which the lock is permanent. */
  readonly maxConsecutive: number;
}

/** A lock time that means "until an administrator clears it": 9999-12-31, still a valid date. */
export const PERMANENT_LOCK = 253_402_300_799_999;
const MAX_DOUBLINGS = 10;

const subjects = {
  account: { table: "users", failures: "failed_attempts" },
  token: { table: "authenticators", failures: "failures" },
} as const;

export type SubjectKind = keyof typeof subjects;

export type Reservation =
  | {
      readonly granted: true;
      readonly kind: SubjectKind;
      readonly id: string;
      readonly policy: AttemptPolicy;
      /** The lock this attempt took (it reached a limit), if any: a failure answers with it. */
      readonly lockedUntil: number | null;
    }
  | { readonly granted: false; readonly lockedUntil: number | null };

type ReserveParams = {
  id: string;
  now: number;
  maxFailures: number;
  lockMs: number;
  maxConsecutive: number;
};

/**
 * The reservation runs before every password and code check, so it is compiled once per subject
 * kind (storage/prepared-query.ts) rather than built on each request.
 */
const reserveQueries = perDatabase((db: Kysely<Schema>) => {
  const forKind = (kind: SubjectKind) =>
    preparedQuery<Schema, ReserveParams, { locked_until: number | null }>(db, (p) => {
      const { table, failures } = subjects[kind];
      const f = sql.ref(failures);
      const now = sql`CAST(${p("now")} AS bigint)`;
      const permanent = sql`consecutive_failures + 1 >= ${p("maxConsecutive")}`;
      const limit = sql`${f} + 1 >= ${p("maxFailures")}`;
      const doubling = sql`(CASE WHEN lock_count >= ${MAX_DOUBLINGS} THEN ${2 ** MAX_DOUBLINGS} ELSE (1 << lock_count) END)`;
      const query = sql<{ locked_until: number | null }>`
        UPDATE ${sql.table(table)} SET
          ${f} = CASE WHEN ${permanent} THEN ${f} WHEN ${limit} THEN 0 ELSE ${f} + 1 END,
          lock_count = CASE WHEN ${permanent} THEN lock_count WHEN ${limit} THEN lock_count + 1 ELSE lock_count END,
          locked_until = CASE
            WHEN ${permanent} THEN CAST(${PERMANENT_LOCK} AS bigint)
            WHEN ${limit} THEN ${now} + CAST(${p("lockMs")} AS bigint) * ${doubling}
            ELSE NULL END,
          consecutive_failures = consecutive_failures + 1
        WHERE id = ${p("id")} AND (locked_until IS NULL OR locked_until <= ${now})
        RETURNING locked_until`;
      return { compile: () => query.compile(db) };
    });
  return { account: forKind("account"), token: forKind("token") };
});

export async function reserveAttempt(
  db: Kysely<Schema>,
  kind: SubjectKind,
  id: string,
  policy: AttemptPolicy,
  now: number,
): Promise<Reservation> {
  const [row] = await reserveQueries(db)[kind]({
    id,
    now,
    maxFailures: policy.maxFailures,
    lockMs: policy.lockMs,
    maxConsecutive: policy.maxConsecutive,
  });
  if (row !== undefined) return { granted: true, kind, id, policy, lockedUntil: row.locked_until };
  const { table } = subjects[kind];
  const current = await sql<{ locked_until: number | null }>`
    SELECT locked_until FROM ${sql.table(table)} WHERE id = ${id}`.execute(db);
  return { granted: false, lockedUntil: current.rows[0]?.locked_until ?? null };
}

/**
 * The secret was right: the subject starts afresh. (Accepting a one-time code does the same in its
 * own compare-and-set, authenticators/authenticator-store.ts acceptPosition.)
 */
export async function attemptSucceeded(db: Kysely<Schema>, attempt: Reservation): Promise<void> {
  if (!attempt.granted) return;
  const { table, failures } = subjects[attempt.kind];
  await sql`
    UPDATE ${sql.table(table)}
    SET ${sql.ref(failures)} = 0, lock_count = 0, locked_until = NULL, consecutive_failures = 0
    WHERE id = ${attempt.id}`.execute(db);
}

/**
 * The outcome was no guess (a replay, a code that belonged to another token): the reservation is
 * taken back. A lock it took is lifted only if it is still exactly that lock.
 */
export async function refundAttempt(db: Kysely<Schema>, attempt: Reservation): Promise<void> {
  if (!attempt.granted) return;
  const { table, failures } = subjects[attempt.kind];
  const f = sql.ref(failures);
  const consecutive = sql`consecutive_failures = CASE WHEN consecutive_failures > 0 THEN consecutive_failures - 1 ELSE 0 END`;
  if (attempt.lockedUntil === null) {
    await sql`
      UPDATE ${sql.table(table)} SET ${f} = CASE WHEN ${f} > 0 THEN ${f} - 1 ELSE 0 END, ${consecutive}
      WHERE id = ${attempt.id}`.execute(db);
  } else if (attempt.lockedUntil === PERMANENT_LOCK) {
    await sql`
      UPDATE ${sql.table(table)} SET locked_until = NULL, ${consecutive}
      WHERE id = ${attempt.id} AND locked_until = CAST(${PERMANENT_LOCK} AS bigint)`.execute(db);
  } else {
    await sql`
      UPDATE ${sql.table(table)} SET locked_until = NULL, ${f} = ${attempt.policy.maxFailures - 1},
        lock_count = CASE WHEN lock_count > 0 THEN lock_count - 1 ELSE 0 END, ${consecutive}
      WHERE id = ${attempt.id} AND locked_until = CAST(${attempt.lockedUntil} AS bigint)`.execute(db);
  }
}

/**
 * The answer to an attempt a lock refused (or that took the lock), the same whether the secret was
 * right or wrong. Reservations are counted before their secret is checked, so concurrent RIGHT
 * secrets can reach the limit too: the message blames the number of attempts, not wrong ones. A
 * temporary lock carries its end (the error handler turns it into Retry-After and `lockedUntil`);
 * a permanent one names the administrator's call that lifts it.
 */
export function lockedAnswer(
  code: number,
  subject: string,
  lockedUntil: number | null,
  clearedBy: string,
): TesseraError {
  const refused = `too many sign-in attempts on ${subject}`;
  if (lockedUntil === null) return new TesseraError(code, { message: `${refused}; locked for now` });
  if (lockedUntil >= PERMANENT_LOCK)
    return new TesseraError(code, {
      message: `${refused}; locked until an administrator clears it with ${clearedBy}`,
    });
  return new TesseraError(code, {
    message: `${refused}; locked until ${new Date(lockedUntil).toISOString()}`,
    retryAt: lockedUntil,
  });
}
