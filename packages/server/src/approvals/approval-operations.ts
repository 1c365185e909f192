import type { DomainOperations } from "../openapi/operation-docs.ts";

const referencePath = {
  "params.reference":
    "the reference POST /v1/approvals answered (or the caller's own); empty or blank is UpdateTransactionReferenceCodeNotSpecified",
};
const byReference = [
  "UpdateTransactionReferenceCodeNotSpecified",
  "UpdateTransactionReferenceCodeNotFound",
] as const;

const exampleDetails = {
  amount: "249.90",
  currency: "EUR",
  payee: "ACME Furniture GmbH",
  iban: "DE89370400440532013000",
};
export const exampleApproval = {
  reference: "7Q2M9XK4T1VB8C3D",
  status: "pending",
  username: "alice",
  serial: "PUSH00A1B2C3",
  details: exampleDetails,
  createdAt: "2026-01-01T00:00:00.000Z",
  expiresAt: "2026-01-01T00:05:00.000Z",
  answeredAt: null,
  approvalCode: null,
  fraudReported: false,
};

/** Documentation of approvals/approval-routes.ts: transaction signing. */
export const approvalOperations: DomainOperations = {
  tag: "approvals",
  operations: {
    "POST /v1/approvals": {
      fields: {
        "body.username": "the user who approves, on their push device",
        "body.reference":
          "your own reference for the request (1–64 letters, digits, '.', '_', '-'), unique in the tenant; without it the server picks 16 Crockford base32 characters",
        "body.serial": "the push device to ask; without it the user's most recently enrolled enabled one",
        "body.details":
          "what the user approves, shown by the app and signed exactly: `amount` (a decimal string, at most the currency's decimals), `currency` (ISO 4217), `payee`, and up to 32 further fields of strings, booleans, null, whole numbers, arrays and objects (4 levels, 4096 bytes as JSON; no control or invisible formatting characters)",
      },
      summary: "Ask a user to approve a transaction on their push device",
      description:
        "Creates a transaction approval request for the user's push device and wakes the device (event stream, long poll, Web Push). The app shows the details and answers with an approval code: its signature over exactly these details, the reference and the decision (docs/authenticators.md, “Transaction signing”). The request waits approvals.lifetimeSeconds. CreateTransactionFailed when the user has no enabled push device (or `serial` is not one of theirs), already has approvals.maxPendingPerUser requests waiting (with Retry-After: when the oldest expires), the reference is taken in the tenant, or the request cannot be stored.",
      errors: [
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "SerialNumberNotSpecified",
        "BogusSerialNumber",
        "CreateTransactionFailed",
      ],
      request: { username: "alice", details: exampleDetails },
      response: exampleApproval,
    },
    "GET /v1/approvals/:reference": {
      fields: referencePath,
      summary: "Read a transaction approval request",
      description:
        "The request's state: pending, approved, rejected or expired (pending past expiresAt), with the device's approval code once answered (the signature, kept as evidence). Reads only; safe to repeat, e.g. to poll.",
      errors: [...byReference],
      response: {
        ...exampleApproval,
        status: "approved",
        answeredAt: "2026-01-01T00:00:41.000Z",
        approvalCode: "3q2-7wX…",
      },
    },
    "POST /v1/approvals/:reference/status": {
      fields: {
        ...referencePath,
        "body.status": "approved or rejected: the decision the approval code was signed for",
        "body.approvalCode": "the app's signature over the approval payload (base64url), as the app gave it",
      },
      summary: "Record an answer relayed from the app",
      description:
        "For an app that answers through the tenant instead of the app protocol: the approval code must be the request's device's signature over the approval payload of this reference, decision and details (UpdateTransactionApprovalCodeMissmatch otherwise, e.g. the code of another request, of the other decision, or over changed details). A request already answered or expired, or a status other than approved or rejected, is UpdateTransactionStatusInvalid; the final state is a compare-and-set, so of two concurrent answers exactly one wins. UpdateTransactionStatusFailed when the answer cannot be written. A disabled device or user is refused.",
      errors: [
        ...byReference,
        "UpdateTransactionStatusInvalid",
        "UpdateTransactionApprovalCodeMissmatch",
        "UpdateTransactionStatusFailed",
        "DeviceDiabled",
        "PartnerUserLoginDisabled",
      ],
      request: { status: "approved", approvalCode: "3q2-7wX…" },
      response: {
        ...exampleApproval,
        status: "approved",
        answeredAt: "2026-01-01T00:00:41.000Z",
        approvalCode: "3q2-7wX…",
      },
    },
    "GET /v1/approvals/:reference/events": {
      fields: referencePath,
      summary: "Follow a transaction approval request as server-sent events",
      description:
        "Streams `event: status` with the request (as GET answers it) when it opens and at each change, heartbeats while nothing happens, then `event: end` and closes once the request is approved, rejected or expired. The stream is recorded in the audit trail before it opens (DatabaseError if that fails). Reads only.",
      errors: [...byReference],
      content: {
        mediaType: "text/event-stream",
        description: "Server-sent events: `status` events, then `end` when the request is final.",
        example:
          ': tessera approval events\n\nevent: status\ndata: {"reference":"7Q2M9XK4T1VB8C3D","status":"pending",…}\n\nevent: status\ndata: {"reference":"7Q2M9XK4T1VB8C3D","status":"approved",…}\n\nevent: end\ndata: {"reference":"7Q2M9XK4T1VB8C3D","status":"approved"}\n\n',
      },
    },
  },
};
