import { unreachable } from "./server-answer.ts";

/** One pending request as the app is shown it (never the number to match: the user types it). */
export interface RequestItem {
  readonly reference: string;
  readonly kind: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly details: Readonly<Record<string, unknown>> | null;
  readonly expiresAt: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The item in a server answer or event; a malformed one means the server is not usable. */
export function requestItemOf(server: string, value: unknown): RequestItem {
  if (
    isObject(value) &&
    typeof value.reference === "string" &&
    typeof value.kind === "string" &&
    isObject(value.context) &&
    (value.details === null || isObject(value.details)) &&
    (typeof value.expiresAt === "string" || typeof value.expiresAt === "number")
  )
    return {
      reference: value.reference,
      kind: value.kind,
      context: value.context,
      details: value.details,
      expiresAt: new Date(value.expiresAt).toISOString(),
    };
  throw unreachable(server, "a request item that is not the protocol's");
}

export function requestItemsOf(server: string, answer: Record<string, unknown>): RequestItem[] {
  if (!Array.isArray(answer.requests)) throw unreachable(server, "an answer without requests");
  return answer.requests.map((item) => requestItemOf(server, item));
}
