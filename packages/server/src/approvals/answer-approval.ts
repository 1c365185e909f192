import type { ServerContext } from "../app/server-context.ts";
import type { AuthenticatorRow } from "../authenticators/authenticator-store.ts";
import type { Decision } from "./approval-payload.ts";
import type { ApprovalRequestRow } from "./approval-store.ts";

/**
 * Records a push device's answer to one of its requests: the approval code must be the device's
 * signature over approvalPayload() for this decision (UpdateTransactionApprovalCodeMissmatch),
 * a sign-in push's number must match, the request must still be pending and unexpired
 * (UpdateTransactionStatusInvalid), and the final state is a compare-and-set (one answer wins; a
 * failed write is UpdateTransactionStatusFailed). `fraud` with a rejection reports the request.
 * FOUNDATION STUB (issue 14): the transaction-signing part implements it.
 */
export async function answerApprovalRequest(
  _ctx: ServerContext,
  _input: {
    readonly device: AuthenticatorRow;
    readonly request: ApprovalRequestRow;
    readonly decision: Decision;
    readonly number?: number | undefined;
    readonly approvalCode: string;
    readonly fraud?: boolean | undefined;
  },
): Promise<ApprovalRequestRow> {
  throw new Error("answerApprovalRequest is not built yet");
}
