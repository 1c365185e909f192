import type { FastifySchema } from "fastify";
import { TIME_KEYWORD } from "../app/time-input.ts";
import type { OperationDoc } from "./operation-docs.ts";

type Schema = Record<string, unknown>;

/**
 * The headers app/time-input.ts's onSend hook adds to an answer whose request used a deprecated
 * form of this release (an epoch time, Link's `user` filter, `fields.username`).
 */
const headers = {
  deprecation: {
    type: "string",
    description:
      "Sent only when the request used a deprecated form (an epoch time, a deprecated parameter or field): when it was deprecated, as `@<epoch seconds>` (RFC 9745). The form still works for this release.",
  },
  link: {
    type: "string",
    description: 'With Deprecation: where the deprecation is described, `</docs>; rel="deprecation"`.',
  },
} as const;

/**
 * Whether an operation can send them: its inputs hold a time (which also takes epoch numbers),
 * a parameter marked `deprecated`, or its docs say it takes a deprecated name inside free-form
 * input (`deprecatedInputs`). Read from the route's schema, so a new time input is covered.
 */
function sendsDeprecation(schema: FastifySchema, doc: OperationDoc): boolean {
  if (doc.deprecatedInputs === true) return true;
  const inputs = JSON.stringify([schema.querystring, schema.body, schema.params]);
  return inputs.includes(`"${TIME_KEYWORD}"`) || inputs.includes('"deprecated":true');
}

/** The success responses with the Deprecation and Link headers, where the operation may send them. */
export function withDeprecationHeaders(
  responses: Record<string, Schema>,
  schema: FastifySchema,
  doc: OperationDoc,
): Record<string, Schema> {
  if (!sendsDeprecation(schema, doc)) return responses;
  return Object.fromEntries(
    Object.entries(responses).map(([key, response]) => [
      key,
      key.startsWith("2")
        ? { ...response, headers: { ...(response.headers as Schema), ...headers } }
        : response,
    ]),
  );
}
