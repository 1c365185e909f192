import type { ServerContext } from "../app/server-context.ts";
import { type Budget, deleteDueInBatches, type Sweep } from "../housekeeping/batches.ts";

/**
 * Approval requests (sign-in pushes and transactions) are kept for 30 days after they expired,
 * answered or not: long enough for the tenant to read a transaction's approval code back as
 * evidence (GET /v1/approvals/{reference}) and far longer than the hourly push cap looks back.
 * A request reported as fraud is never deleted here: the user's push lock is derived from those
 * reports (push/sign-in-fraud-lock.ts), so deleting one would lift the lock silently.
 */
export const APPROVAL_REQUEST_KEPT_MS = 30 * 86_400_000;

export const approvalRequestsSweep: Sweep = {
  kind: "approval_requests",
  async run(ctx: ServerContext, now: number, budget: Budget) {
    return deleteDueInBatches(ctx, budget, "approval_requests", "id", (rows) =>
      rows.where("expires_at", "<=", now - APPROVAL_REQUEST_KEPT_MS).where("fraud_reported", "=", 0),
    );
  },
};
