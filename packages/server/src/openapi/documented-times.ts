import type { FastifySchema } from "fastify";
import { MIN_EPOCH_MS, TIME_KEYWORD } from "../app/time-input.ts";

/**
 * The document's form of a request time. The validator takes an RFC 3339 string, epoch 0, or epoch
 * milliseconds from 10^11 (below that, epoch seconds sent by mistake are refused: app/time-input.ts);
 * the `x-time` keyword does that check, and a reader of the document cannot run it, so each schema
 * carrying it is published with a `not` that excludes the refused numbers. The `not` is for the
 * document only: in the validator it would answer "must NOT be valid" instead of saying why.
 */
const refusedSeconds = { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: MIN_EPOCH_MS } as const;

/** A copy of a route's schema with its time inputs documented; the route's own is not touched. */
export function documentTimes(schema: FastifySchema): FastifySchema {
  return withDocumentedTimes(schema) as FastifySchema;
}

function withDocumentedTimes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withDocumentedTimes);
  if (typeof node !== "object" || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = withDocumentedTimes(value);
  if (copy[TIME_KEYWORD] === true) copy.not = refusedSeconds;
  return copy;
}
