import type { Kysely, Selectable } from "kysely";
import type { ApprovalRequestsTable, Schema } from "../storage/schema.ts";

export type ApprovalRequestRow = Selectable<ApprovalRequestsTable>;

export function insertApprovalRequest(db: Kysely<Schema>, row: ApprovalRequestRow): Promise<unknown> {
  return db.insertInto("approval_requests").values(row).execute();
}

/** By reference within a tenant: another tenant's reference is not found. */
export function findByReference(
  db: Kysely<Schema>,
  tenantId: string,
  reference: string,
): Promise<ApprovalRequestRow | undefined> {
  return db
    .selectFrom("approval_requests")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("reference", "=", reference)
    .executeTakeFirst();
}

/** The requests a device has to answer now, oldest first. */
export function pendingForDevice(
  db: Kysely<Schema>,
  authenticatorId: string,
  now: number,
): Promise<ApprovalRequestRow[]> {
  return db
    .selectFrom("approval_requests")
    .selectAll()
    .where("authenticator_id", "=", authenticatorId)
    .where("status", "=", "pending")
    .where("expires_at", ">", now)
    .orderBy("created_at")
    .execute();
}

/**
 * Moves a request from pending to its final state, once: a compare-and-set on `status` and the
 * expiry, so of two answers racing (two processes, a retry, the app and a relay) exactly one wins.
 * False when the request was already final or has expired.
 */
export async function finishApprovalRequest(
  db: Kysely<Schema>,
  id: string,
  final: { status: "approved" | "rejected"; approvalCode: string; fraud: boolean },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable("approval_requests")
    .set({
      status: final.status,
      approval_code: final.approvalCode,
      fraud_reported: final.fraud ? 1 : 0,
      answered_at: now,
    })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
