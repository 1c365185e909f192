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
