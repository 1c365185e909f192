import { randomInt, randomUUID } from "node:crypto";
import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { type ApprovalRequestRow, insertApprovalRequest } from "../approvals/approval-store.ts";
import { newReference } from "../approvals/new-reference.ts";
import { type AuthenticatorRow, findForUser } from "../authenticators/authenticator-store.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { lockUserRow } from "../users/lock-user-row.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import type { UserRow } from "../users/user-store.ts";
import { notifyDevice } from "./notify-device.ts";
import { requirePushAllowed } from "./sign-in-limits.ts";

export interface SignInPushContext {
  readonly app?: string | undefined;
  readonly sourceIp: string;
  readonly location?: string | undefined;
  readonly reason?: string | undefined;
}

export interface SignInPush {
  readonly id: string;
  readonly reference: string;
  /** The two-digit number the sign-in screen shows and the app must echo. */
  readonly numberToMatch: number;
  readonly expiresAt: number;
  /** The push device the request went to. */
  readonly serial?: string;
}

export type SignInPushState = "pending" | "approved" | "rejected" | "expired";

/**
 * Sends a sign-in approval request to the user's push device: number matching, expiry, per-user
 * cap and cool-down, refused while a fraud report stands (sign-in-limits.ts). The limits are read
 * and the request inserted in one transaction that first locks the user's row (PostgreSQL;
 * SQLite runs one write transaction at a time), so a burst over any number of processes gets at
 * most what the limits allow: a check-then-insert without the lock would let every concurrent
 * request see the same free place. `serial` picks one of the user's push devices; without it the
 * most recently enrolled one is used.
 */
export async function createSignInPush(
  ctx: ServerContext,
  input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly context: SignInPushContext;
    readonly serial?: string | undefined;
    /** For the audit event: the HTTP request that asked for the push. */
    readonly requestId?: string | undefined;
  },
): Promise<SignInPush> {
  const { tenant, user } = input;
  const now = ctx.clock.now();
  const refusal = signInRefusal(user, now);
  if (refusal !== undefined) throw new TesseraError(refusal.code, { message: refusal.message });
  let device: AuthenticatorRow;
  let row: ApprovalRequestRow;
  try {
    device = await pushDevice(ctx, user, input.serial);
    row = newSignInRequest(tenant, user, device, input.context, now);
    await ctx.database.db.transaction().execute(async (trx) => {
      await lockUserRow(trx, ctx.database.dialect, user.id);
      await requirePushAllowed(trx, tenant, user, now);
      await insertApprovalRequest(trx, row);
    });
  } catch (error) {
    if (TesseraError.is(error))
      await audit(ctx, input, "push.sign-in.refused", `user:${user.username}`, error.code);
    throw error;
  }
  await audit(ctx, input, "push.sign-in.sent", `approval:${row.reference}`, ApiReturnCode.Success);
  // Best effort, and not awaited: a slow push service (up to push.webPushTimeoutMs) must not hold
  // the sign-in screen's request; an app that misses the wake-up finds the request when it polls.
  void notifyDevice(ctx, device, row);
  return {
    id: row.id,
    reference: row.reference,
    numberToMatch: row.number_to_match ?? 0,
    expiresAt: row.expires_at,
    serial: device.serial,
  };
}

/** The request row: the context the phone shows and a fresh number to match. */
function newSignInRequest(
  tenant: Tenant,
  user: UserRow,
  device: AuthenticatorRow,
  context: SignInPushContext,
  now: number,
): ApprovalRequestRow {
  return {
    id: randomUUID(),
    reference: newReference(),
    tenant_id: tenant.id,
    user_id: user.id,
    authenticator_id: device.id,
    kind: "sign-in",
    // What the app shows, so the person can tell a sign-in of their own from someone else's.
    context: JSON.stringify({
      app: context.app,
      account: user.username,
      sourceIp: context.sourceIp,
      location: context.location,
      reason: context.reason,
    }),
    details: null,
    // Uniform over 10..99 from the CSPRNG: a fatigued user who approves blindly picks the right
    // number with probability 1/90 at best.
    number_to_match: randomInt(10, 100),
    status: "pending",
    fraud_reported: 0,
    approval_code: null,
    created_at: now,
    expires_at: now + tenant.pushRequestTtlSeconds * 1000,
    answered_at: null,
  };
}

/** The user's usable push device (the named one, else the newest); CreateTransactionFailed when none. */
async function pushDevice(
  ctx: ServerContext,
  user: UserRow,
  serial: string | undefined,
): Promise<AuthenticatorRow> {
  const devices = (await findForUser(ctx.database.db, user.id)).filter(
    (row) =>
      row.type === "push" && row.enabled === 1 && row.activated === 1 && row.tenant_id === user.tenant_id,
  );
  const device = serial === undefined ? devices.at(-1) : devices.find((row) => row.serial === serial);
  if (device === undefined)
    throw new TesseraError(ApiReturnCode.CreateTransactionFailed, {
      message:
        serial === undefined
          ? `${user.username} has no enabled push device; enrol one with POST /v1/users/${user.username}/push-enrolments`
          : `${user.username} has no enabled push device ${serial}`,
      field: serial === undefined ? "body.username" : "body.serial",
    });
  return device;
}

/** A sign-in push of this tenant by id, with its device's serial; undefined for anything else. */
export async function findSignInPush(
  ctx: ServerContext,
  tenantId: string,
  id: string,
): Promise<(ApprovalRequestRow & { serial: string }) | undefined> {
  return ctx.database.db
    .selectFrom("approval_requests")
    .innerJoin("authenticators", "authenticators.id", "approval_requests.authenticator_id")
    .selectAll("approval_requests")
    .select("authenticators.serial")
    .where("approval_requests.id", "=", id)
    .where("approval_requests.tenant_id", "=", tenantId)
    .where("approval_requests.kind", "=", "sign-in")
    .executeTakeFirst();
}

/** The state a row shows at `now`: a pending request past its expiry is expired. */
export function stateOf(row: ApprovalRequestRow, now: number): SignInPushState {
  if (row.status === "approved" || row.status === "rejected") return row.status;
  return row.expires_at <= now ? "expired" : "pending";
}

/**
 * The request's state for its tenant and user; a final state is read once it is set. Another
 * tenant's id, another user's, or a transaction's reference id is NotFound.
 */
export async function signInPushState(
  ctx: ServerContext,
  input: { readonly tenant: Tenant; readonly user: UserRow; readonly id: string },
): Promise<SignInPushState> {
  const row = await findSignInPush(ctx, input.tenant.id, input.id);
  if (row === undefined || row.user_id !== input.user.id)
    throw new TesseraError(TesseraApiCode.NotFound, { message: `no sign-in push ${input.id}` });
  return stateOf(row, ctx.clock.now());
}

function audit(
  ctx: ServerContext,
  input: {
    readonly tenant: Tenant;
    readonly user: UserRow;
    readonly context: SignInPushContext;
    readonly requestId?: string | undefined;
  },
  operation: string,
  subject: string,
  resultCode: number,
): Promise<void> {
  return ctx.audit.append({
    at: ctx.clock.now(),
    tenantId: input.tenant.id,
    actor: `user:${input.user.id}`,
    subject,
    sourceIp: input.context.sourceIp,
    operation,
    resultCode,
    durationMs: null,
    requestId: input.requestId ?? null,
  });
}
