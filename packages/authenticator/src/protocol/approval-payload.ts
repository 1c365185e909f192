/**
 * The exact bytes whose signature is an answer's approval code: a version tag, then one line of
 * JSON with sorted keys holding the reference, the kind, the decision, the number the user typed
 * and every detail the app showed. Signing the details as shown is the point of transaction
 * signing: the server refuses the code if any detail differs from what it asked about.
 */
export type Decision = "approved" | "rejected";

export interface ApprovalAnswer {
  readonly reference: string;
  readonly kind: string;
  readonly decision: Decision;
  readonly number: number | null;
  readonly details: Readonly<Record<string, unknown>> | null;
}

export const APPROVAL_PAYLOAD_TAG = "tessera-approval/1";

export function approvalPayload(answer: ApprovalAnswer): Buffer {
  const body = canonicalJson({
    decision: answer.decision,
    details: answer.details,
    kind: answer.kind,
    number: answer.number,
    reference: answer.reference,
  });
  return Buffer.from(`${APPROVAL_PAYLOAD_TAG}\n${body}`, "utf8");
}

/** JSON with object keys sorted (by UTF-16 code units) at every level; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
