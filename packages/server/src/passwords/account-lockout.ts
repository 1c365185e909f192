import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";
import type { Tenant } from "../tenants/tenant-store.ts";

/**
 * Per-account password failure counting, in the database so that it holds across sessions, source
 * addresses and server processes. Every step is one atomic statement; the lock is taken by a
 * compare-and-set so that concurrent failures lock the account once.
 *
 * Lock lengths grow: lockoutBaseSeconds, then twice that, four times… (capped at 2^10), and start
 * again after a successful sign-in.
 */
const MAX_DOUBLINGS = 10;

export function lockDurationMs(tenant: Tenant, lockCount: number): number {
  return tenant.lockoutBaseSeconds * 1000 * 2 ** Math.min(lockCount, MAX_DOUBLINGS);
}

/** Counts a wrong password; true when this failure locked the account. */
export async function recordPasswordFailure(
  db: Kysely<Schema>,
  tenant: Tenant,
  userId: string,
  now: number,
): Promise<boolean> {
  const counted = await db
    .updateTable("users")
    .set((eb) => ({ failed_attempts: eb("failed_attempts", "+", 1) }))
    .where("id", "=", userId)
    .returning(["failed_attempts", "lock_count"])
    .executeTakeFirst();
  if (counted === undefined || counted.failed_attempts < tenant.passwordMaxFailures) return false;
  const locked = await db
    .updateTable("users")
    .set((eb) => ({
      locked_until: now + lockDurationMs(tenant, counted.lock_count),
      lock_count: eb("lock_count", "+", 1),
      failed_attempts: 0,
    }))
    .where("id", "=", userId)
    .where("failed_attempts", ">=", tenant.passwordMaxFailures)
    .executeTakeFirst();
  return Number(locked.numUpdatedRows) === 1;
}

/**
 * Clears the counters after a correct password, unless a lock was taken meanwhile by a concurrent
 * failure: then the correct password is refused too, and this returns false.
 */
export async function recordPasswordSuccess(
  db: Kysely<Schema>,
  userId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ failed_attempts: 0, lock_count: 0, locked_until: null })
    .where("id", "=", userId)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
