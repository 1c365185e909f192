/**
 * The exact bytes a push device signs to answer an approval request (docs/authenticators.md, "App
 * protocol"). A signature over them is the request's approval code: it covers the reference, the
 * decision, the number shown to match and every detail the app displayed, so an answer cannot be
 * moved to another request, flipped from rejected to approved, or kept when a detail changes.
 *
 * The payload is one line of JSON with sorted keys and no insignificant space, prefixed by a
 * version tag; a mobile app reproduces it with any JSON library that sorts keys.
 */
export type Decision = "approved" | "rejected";

export interface ApprovalAnswer {
  readonly reference: string;
  readonly kind: "sign-in" | "transaction";
  readonly decision: Decision;
  /** The two-digit number the app's user picked (sign-in pushes), else null. */
  readonly number: number | null;
  /** The transaction's details as created (transaction requests), else null. */
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

/** JSON with object keys sorted at every level (arrays keep their order). */
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
