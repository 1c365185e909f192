import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";

/**
 * A user's push fraud lock: the latest of their approval requests the app rejected as fraud after
 * an administrator last cleared the lock (push_fraud_clearances). Derived, not stored, so the
 * answer that reports fraud (approvals/answer-approval.ts) locks at the same moment it is written,
 * from any process, and nothing can leave the two out of step. Any kind of request counts: a user
 * who says "this was not me" about a transaction is as likely under attack as about a sign-in.
 */
export interface FraudLock {
  readonly reference: string;
  readonly reportedAt: number;
}

export async function findFraudLock(db: Kysely<Schema>, userId: string): Promise<FraudLock | undefined> {
  const row = await db
    .selectFrom("approval_requests")
    .leftJoin("push_fraud_clearances", "push_fraud_clearances.user_id", "approval_requests.user_id")
    .select(["approval_requests.reference", "approval_requests.answered_at"])
    .where("approval_requests.user_id", "=", userId)
    .where("approval_requests.fraud_reported", "=", 1)
    .where((eb) =>
      eb.or([
        eb("push_fraud_clearances.cleared_at", "is", null),
        eb("approval_requests.answered_at", ">", eb.ref("push_fraud_clearances.cleared_at")),
      ]),
    )
    .orderBy("approval_requests.answered_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : { reference: row.reference, reportedAt: Number(row.answered_at) };
}

/**
 * Clears the lock: reports answered until now no longer count. An upsert, so clearing twice (or
 * from two processes) leaves the same state; false when there was no lock to clear.
 */
export async function clearFraudLock(
  db: Kysely<Schema>,
  user: { readonly id: string; readonly tenant_id: string },
  now: number,
): Promise<boolean> {
  const locked = (await findFraudLock(db, user.id)) !== undefined;
  await db
    .insertInto("push_fraud_clearances")
    .values({ user_id: user.id, tenant_id: user.tenant_id, cleared_at: now })
    .onConflict((oc) => oc.column("user_id").doUpdateSet({ cleared_at: now }))
    .execute();
  return locked;
}
