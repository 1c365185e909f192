import { randomUUID } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { type AuthenticatorRow, findBySerial, findForUser } from "../authenticators/authenticator-store.ts";
import { notifyDevice } from "../push/notify-device.ts";
import { findFraudLock } from "../push/sign-in-fraud-lock.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { lockUserRow } from "../users/lock-user-row.ts";
import type { UserRow } from "../users/user-store.ts";
import { canonicalJson } from "./approval-payload.ts";
import type { ApprovalRequestRow } from "./approval-store.ts";
import { newReference } from "./new-reference.ts";

export interface NewTransaction {
  readonly tenant: Tenant;
  readonly user: UserRow;
  readonly details: Readonly<Record<string, unknown>>;
  readonly reference?: string | undefined;
  readonly serial?: string | undefined;
}

const failed = (message: string, options: { field?: string; retryAt?: number; cause?: unknown } = {}) =>
  new TesseraError(ApiReturnCode.CreateTransactionFailed, { message, ...options });

/**
 * Creates a transaction approval request for the user's push device and tells the device
 * (best effort: the app can always poll). CreateTransactionFailed when no enabled, activated push
 * device of the user can take it, a fraud report of the user stands (sign-in-fraud-lock.ts), the
 * user's cap of waiting requests is reached (with Retry-After: when the oldest expires), the
 * reference is taken in the tenant, or the row cannot be written.
 */
export async function createTransaction(
  ctx: ServerContext,
  input: NewTransaction,
): Promise<{ row: ApprovalRequestRow; device: AuthenticatorRow }> {
  const device = await targetDevice(ctx, input);
  const now = ctx.clock.now();
  const row: ApprovalRequestRow = {
    id: randomUUID(),
    reference: input.reference ?? newReference(),
    tenant_id: input.tenant.id,
    user_id: input.user.id,
    authenticator_id: device.id,
    kind: "transaction",
    context: JSON.stringify({ account: input.user.username, tenant: input.tenant.name }),
    // Stored in the canonical form the device signs, so what is shown is byte for byte what is signed.
    details: canonicalJson(input.details),
    number_to_match: null,
    status: "pending",
    fraud_reported: 0,
    approval_code: null,
    created_at: now,
    expires_at: now + ctx.config.approvals.lifetimeSeconds * 1000,
    answered_at: null,
  };
  let inserted: boolean;
  try {
    inserted = await insertWithinCap(ctx, row, now);
  } catch (error) {
    if (TesseraError.is(error)) throw error;
    throw failed("the approval request could not be stored", { cause: error });
  }
  if (!inserted)
    throw failed(`the reference ${row.reference} is already taken in this tenant`, {
      field: "body.reference",
    });
  // Not awaited: a slow push service must not hold the tenant's request; the app can always poll.
  void notifyDevice(ctx, device, row);
  return { row, device };
}

/** The named device, else the user's most recently created usable one. */
async function targetDevice(ctx: ServerContext, input: NewTransaction): Promise<AuthenticatorRow> {
  const usable = (d: AuthenticatorRow | undefined): d is AuthenticatorRow =>
    d !== undefined &&
    d.type === "push" &&
    d.tenant_id === input.tenant.id &&
    d.user_id === input.user.id &&
    d.enabled === 1 &&
    d.activated === 1;
  if (input.serial !== undefined) {
    const named = await findBySerial(ctx.database.db, input.serial);
    // Another tenant's serial reads as any unusable one: nothing about it is disclosed.
    if (!usable(named))
      throw failed(`${input.serial} is not an enabled push device of ${input.user.username}`, {
        field: "body.serial",
      });
    return named;
  }
  const devices = (await findForUser(ctx.database.db, input.user.id)).filter(usable);
  const newest = devices.sort((a, b) => b.created_at - a.created_at)[0];
  if (newest === undefined)
    throw failed(
      `${input.user.username} has no enabled push device to approve with; enrol one with POST /v1/users/${input.user.username}/push-enrolments`,
      {
        field: "body.username",
      },
    );
  return newest;
}

/**
 * Counts the user's waiting transactions and inserts the new one in one transaction that first
 * locks the user's row (PostgreSQL; SQLite runs one write transaction at a time), so a burst over
 * any number of processes cannot exceed the cap. False when the reference is taken.
 */
async function insertWithinCap(ctx: ServerContext, row: ApprovalRequestRow, now: number): Promise<boolean> {
  const max = ctx.config.approvals.maxPendingPerUser;
  return ctx.database.db.transaction().execute(async (trx) => {
    await lockUserRow(trx, ctx.database.dialect, row.user_id);
    // A standing fraud report stops every push to the user, a transaction's as a sign-in's
    // (docs/authenticators.md, "Fraud reports and the lock"): read under the same row lock, so
    // a report written by another process is seen. No Retry-After: only an administrator clears it.
    const lock = await findFraudLock(trx, row.user_id);
    if (lock !== undefined)
      throw failed(
        `approval requests to this user are locked: request ${lock.reference} was reported as fraud; an administrator clears the lock (DELETE /v1/users/{username}/push-lock)`,
      );
    const waiting = await trx
      .selectFrom("approval_requests")
      .select("expires_at")
      .where("user_id", "=", row.user_id)
      .where("kind", "=", "transaction")
      .where("status", "=", "pending")
      .where("expires_at", ">", now)
      .orderBy("expires_at")
      .limit(max)
      .execute();
    if (waiting.length >= max)
      throw failed(`the user already has ${max} approval requests waiting (approvals.maxPendingPerUser)`, {
        retryAt: Number(waiting[0]?.expires_at ?? now),
      });
    const result = await trx
      .insertInto("approval_requests")
      .values(row)
      .onConflict((oc) => oc.columns(["tenant_id", "reference"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  });
}
