import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import type { AuthenticatorRow } from "../authenticators/authenticator-store.ts";
import { devicePublicKey, openDeviceMaterial, verifyDeviceSignature } from "../push/device-material.ts";
import { approvalPayload, type Decision } from "./approval-payload.ts";
import { type ApprovalRequestRow, finishApprovalRequest } from "./approval-store.ts";
import { announceAnswer } from "./approval-updates.ts";

const decisions: readonly string[] = ["approved", "rejected"];

/**
 * Records a push device's answer to one of its requests: the approval code must be the device's
 * signature over approvalPayload() for this decision (UpdateTransactionApprovalCodeMissmatch),
 * a sign-in push's number must match, the request must still be pending and unexpired
 * (UpdateTransactionStatusInvalid), and the final state is a compare-and-set (one answer wins; a
 * failed write is UpdateTransactionStatusFailed). `fraud` with a rejection reports the request.
 *
 * A correctly signed approval of a sign-in push with the wrong number ends the request REJECTED:
 * the user approved something other than the screen they looked at (a fatigue or phishing attempt
 * shows exactly so), and a second guess must not be possible. The answer is audited either way.
 */
export async function answerApprovalRequest(
  ctx: ServerContext,
  input: {
    readonly device: AuthenticatorRow;
    readonly request: ApprovalRequestRow;
    readonly decision: Decision;
    readonly number?: number | undefined;
    readonly approvalCode: string;
    readonly fraud?: boolean | undefined;
    /** For the audit event: the HTTP request that carried the answer and its source. */
    readonly requestId?: string | undefined;
    readonly sourceIp?: string | undefined;
  },
): Promise<ApprovalRequestRow> {
  const { device, request } = input;
  const now = ctx.clock.now();
  // The device answers only its own requests; to anyone else the reference does not exist.
  if (request.authenticator_id !== device.id || request.tenant_id !== device.tenant_id)
    throw new TesseraError(ApiReturnCode.UpdateTransactionReferenceCodeNotFound, {
      message: `no approval request ${request.reference} for this device`,
      field: "params.reference",
    });
  // An administrator disables a lost phone: its signatures no longer count, whoever relays them.
  if (device.enabled !== 1)
    throw new TesseraError(ApiReturnCode.DeviceDiabled, {
      message: `push device ${device.serial} is disabled`,
    });
  if (!decisions.includes(input.decision)) throw invalid("the answer must be approved or rejected");
  if (input.fraud === true && input.decision !== "rejected")
    throw invalid("only a rejection can be reported as fraud", "body.fraud");
  assertOpen(request, now);

  const kind = request.kind === "sign-in" ? "sign-in" : "transaction";
  const number = kind === "sign-in" ? (input.number ?? null) : null;
  const payload = approvalPayload({
    reference: request.reference,
    kind,
    decision: input.decision,
    number,
    details: request.details === null ? null : (JSON.parse(request.details) as Record<string, unknown>),
  });
  const key = devicePublicKey(openDeviceMaterial(ctx, device));
  if (!verifyDeviceSignature(key, device.algorithm, payload, input.approvalCode)) {
    await audit(
      ctx,
      input,
      "approvalCode does not match",
      ApiReturnCode.UpdateTransactionApprovalCodeMissmatch,
    );
    throw new TesseraError(ApiReturnCode.UpdateTransactionApprovalCodeMissmatch, {
      message: "the approval code is not this device's signature over this request, decision and details",
      field: "body.approvalCode",
    });
  }

  const wrongNumber =
    kind === "sign-in" && input.decision === "approved" && number !== request.number_to_match;
  const status = wrongNumber ? "rejected" : input.decision;
  const fraud = input.fraud === true;
  let won: boolean;
  try {
    won = await finishApprovalRequest(
      ctx.database.db,
      request.id,
      { status, approvalCode: input.approvalCode, fraud },
      now,
    );
  } catch (error) {
    // The database refused the write; its trail may be failing too, which must not hide the code.
    await audit(ctx, input, "answer not recorded", ApiReturnCode.UpdateTransactionStatusFailed).catch(
      () => undefined,
    );
    throw new TesseraError(ApiReturnCode.UpdateTransactionStatusFailed, {
      message: "the answer to the approval request could not be recorded",
      cause: error,
    });
  }
  // Lost the compare-and-set: another answer came first, or the request expired meanwhile.
  if (!won) throw invalid("the approval request was already answered or has expired");
  announceAnswer(ctx, request.id);
  const outcome = wrongNumber ? "rejected (wrong number)" : fraud ? "rejected (fraud reported)" : status;
  await audit(ctx, input, outcome, 0);
  return {
    ...request,
    status,
    approval_code: input.approvalCode,
    fraud_reported: fraud ? 1 : 0,
    answered_at: now,
  };
}

/** UpdateTransactionStatusInvalid unless the request still awaits its answer. */
export function assertOpen(request: ApprovalRequestRow, now: number): void {
  if (request.status !== "pending") throw invalid(`the approval request is already ${request.status}`);
  if (request.expires_at <= now) throw invalid("the approval request has expired");
}

function invalid(message: string, field?: string): TesseraError {
  return new TesseraError(ApiReturnCode.UpdateTransactionStatusInvalid, {
    message,
    ...(field === undefined ? {} : { field }),
  });
}

/** One event per answer: the trail shows who answered what, never the approval code itself. */
function audit(
  ctx: ServerContext,
  input: {
    device: AuthenticatorRow;
    request: ApprovalRequestRow;
    decision: Decision;
    requestId?: string | undefined;
    sourceIp?: string | undefined;
  },
  outcome: string,
  resultCode: number,
): Promise<void> {
  return ctx.audit.append({
    at: ctx.clock.now(),
    tenantId: input.request.tenant_id,
    actor: `device:${input.device.serial}`,
    subject: `approval:${input.request.reference}`,
    sourceIp: input.sourceIp ?? null,
    operation: `approval ${input.request.kind} answered ${input.decision}: ${outcome}`,
    resultCode,
    durationMs: null,
    requestId: input.requestId ?? null,
  });
}
