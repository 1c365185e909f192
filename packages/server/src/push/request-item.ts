import { time } from "../app/route-schemas.ts";
import type { ApprovalRequestRow } from "../approvals/approval-store.ts";

/**
 * What the app is shown of one pending request: never the number to match (the user reads it on
 * the sign-in screen and types it, which is the point of number matching).
 */
export interface RequestItem {
  readonly reference: string;
  readonly kind: string;
  readonly context: Record<string, unknown>;
  readonly details: Record<string, unknown> | null;
  readonly expiresAt: number;
}

export const requestItemSchema = {
  type: "object",
  properties: {
    reference: { type: "string" },
    kind: { type: "string", enum: ["sign-in", "transaction"] },
    context: { type: "object", additionalProperties: true },
    details: { type: ["object", "null"], additionalProperties: true },
    expiresAt: time,
  },
  required: ["reference", "kind", "context", "details", "expiresAt"],
} as const;

export function requestItem(row: ApprovalRequestRow): RequestItem {
  return {
    reference: row.reference,
    kind: row.kind,
    context: JSON.parse(row.context) as Record<string, unknown>,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    expiresAt: row.expires_at,
  };
}

/** The item as the event stream and Web Push carry it: times in RFC 3339 like every response. */
export const wireItem = (row: ApprovalRequestRow) => ({
  ...requestItem(row),
  expiresAt: new Date(row.expires_at).toISOString(),
});
