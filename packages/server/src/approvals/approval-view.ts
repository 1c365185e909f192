import type { Kysely } from "kysely";
import { time, timestamp } from "../app/route-schemas.ts";
import type { Schema } from "../storage/schema.ts";
import type { ApprovalRequestRow } from "./approval-store.ts";

/** A transaction approval request with whose it is and which device was asked. */
export interface TransactionRecord {
  readonly row: ApprovalRequestRow;
  readonly username: string;
  readonly serial: string;
}

/**
 * The tenant's transaction request by reference. Sign-in pushes share the table but are read
 * through /v1/auth/push: here they are as unknown as another tenant's references.
 */
export async function findTransaction(
  db: Kysely<Schema>,
  tenantId: string,
  reference: string,
): Promise<TransactionRecord | undefined> {
  const found = await db
    .selectFrom("approval_requests as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .innerJoin("authenticators as a", "a.id", "r.authenticator_id")
    .selectAll("r")
    .select(["u.username as username", "a.serial as serial"])
    .where("r.tenant_id", "=", tenantId)
    .where("r.reference", "=", reference)
    .where("r.kind", "=", "transaction")
    .executeTakeFirst();
  if (found === undefined) return undefined;
  const { username, serial, ...row } = found;
  return { row, username, serial };
}

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired";

/** Expired is a pending request past its time: nothing writes it, so it holds on every process. */
export function statusOf(row: ApprovalRequestRow, now: number): ApprovalStatus {
  if (row.status === "approved" || row.status === "rejected") return row.status;
  return row.expires_at <= now ? "expired" : "pending";
}

export function approvalView(record: TransactionRecord, now: number) {
  const { row } = record;
  return {
    reference: row.reference,
    status: statusOf(row, now),
    username: record.username,
    serial: record.serial,
    details: JSON.parse(row.details ?? "{}") as Record<string, unknown>,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    answeredAt: row.answered_at,
    approvalCode: row.approval_code,
    fraudReported: row.fraud_reported === 1,
  };
}

export const approvalProperties = {
  reference: { type: "string" },
  status: { type: "string", enum: ["pending", "approved", "rejected", "expired"] },
  username: { type: "string" },
  serial: { type: "string" },
  details: { type: "object", additionalProperties: true },
  createdAt: time,
  expiresAt: time,
  answeredAt: timestamp,
  approvalCode: { type: ["string", "null"] },
  fraudReported: { type: "boolean" },
} as const;
