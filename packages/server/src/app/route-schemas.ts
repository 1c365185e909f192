import { envelopeProperties, outcomeSchema } from "./envelope.ts";
import { MAX_EPOCH_MS } from "./rfc3339-time.ts";
import { TIME_KEYWORD } from "./time-input.ts";

/** Helpers for route JSON schemas: every response is the envelope plus the route's payload. */

type JsonSchema = Record<string, unknown>;

export function okResponse(
  properties: Record<string, JsonSchema>,
  required: readonly string[] = [],
): JsonSchema {
  return {
    type: "object",
    properties: { ...envelopeProperties, outcome: outcomeSchema, ...properties },
    required: ["errorCode", "errorName", "errorMessage", ...required],
  };
}

/** A request body object that rejects unknown fields, so a typo is an error and not a no-op. */
export function body(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return { type: "object", properties, required, additionalProperties: false };
}

/**
 * Times in responses: RFC 3339 in UTC. Handlers and views give epoch milliseconds (the storage
 * form); app/wire-times.ts writes whatever a response schema declares `date-time` as RFC 3339.
 */
export const time = { type: "string", format: "date-time", description: "RFC 3339, UTC" } as const;
/** A time that may be absent (null). */
export const timestamp = {
  type: ["string", "null"],
  format: "date-time",
  description: "RFC 3339, UTC; null when absent",
} as const;

/**
 * Times in requests (bodies and query strings): an RFC 3339 string with any offset, handed to the
 * handler as epoch milliseconds in UTC (app/time-input.ts); epoch milliseconds themselves are
 * accepted for one more release, with a Deprecation header.
 */
export const timeInput = {
  type: ["string", "integer"],
  format: "date-time",
  [TIME_KEYWORD]: true,
  maxLength: 64,
  minimum: 0,
  maximum: MAX_EPOCH_MS,
  description:
    "RFC 3339 with an offset (e.g. 2027-06-30T12:00:00Z or 2027-06-30T14:00:00+02:00), 1970 to 9999; epoch milliseconds are deprecated",
} as const;
export const nullableTimeInput = { ...timeInput, type: ["string", "integer", "null"] } as const;

export const nullableString = (maxLength: number) => ({ type: ["string", "null"], maxLength }) as const;

/**
 * Bounds for numbers that reach a loop or a column. PostgreSQL `integer` columns hold at most
 * 2^31-1 (a larger value is an error at insert, not a refusal); epoch-millisecond times are
 * `bigint`, but past year 9999 a date no longer prints as RFC 3339 (rfc3339-time.ts).
 */
export const MAX_INT32 = 2 ** 31 - 1;
export { MAX_EPOCH_MS };
