import { envelopeProperties } from "./envelope.ts";

/** Helpers for route JSON schemas: every response is the envelope plus the route's payload. */

type JsonSchema = Record<string, unknown>;

export function okResponse(
  properties: Record<string, JsonSchema>,
  required: readonly string[] = [],
): JsonSchema {
  return {
    type: "object",
    properties: { ...envelopeProperties, ...properties },
    required: ["errorCode", "errorName", "errorMessage", ...required],
  };
}

/** A request body object that rejects unknown fields, so a typo is an error and not a no-op. */
export function body(properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  return { type: "object", properties, required, additionalProperties: false };
}

export const timestamp = { type: ["integer", "null"], description: "epoch milliseconds" } as const;
export const nullableString = (maxLength: number) => ({ type: ["string", "null"], maxLength }) as const;

/**
 * Bounds for numbers that reach a loop or a column. PostgreSQL `integer` columns hold at most
 * 2^31-1 (a larger value is an error at insert, not a refusal); epoch-millisecond times are
 * `bigint`, but past year 9999 a date no longer prints as ISO 8601, so nothing later is accepted.
 */
export const MAX_INT32 = 2 ** 31 - 1;
export const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const epochMs = { type: "integer", minimum: 0, maximum: MAX_EPOCH_MS } as const;
