import { Ajv } from "ajv";
import type { FastifySchemaCompiler } from "fastify";
import { addShapeKeyword } from "./shape-checks.ts";
import { addTimeKeyword } from "./time-input.ts";

/**
 * Two validators: query strings and path parameters are text by nature, so "20" may become 20
 * there; JSON bodies are typed, so "20" is not a number and is refused. Unknown body fields are
 * never dropped silently (the schemas say additionalProperties: false).
 *
 * allErrors: a request is answered with every problem at once (the envelope's `errors`), so a
 * client fixes its body in one round trip. The work stays bounded: bodies are at most 64 KiB
 * (build-app.ts) and arrays carry maxItems, and the answer lists at most MAX_LISTED_ERRORS.
 * `date-time` and `date` are checked by the time keyword and by patterns, so Ajv's format
 * checking is not needed (it is declared for the OpenAPI document).
 *
 * verbose: each error carries the schema it failed, so the error handler can say what a field
 * must be in words (`x-expect`) instead of printing the pattern.
 */
const common = {
  allErrors: true,
  verbose: true,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
  formats: { "date-time": true, date: true },
} as const;
const forBodies = new Ajv({ ...common, coerceTypes: false });
const forText = new Ajv({ ...common, coerceTypes: "array" });
addTimeKeyword(forBodies, false);
addTimeKeyword(forText, true);
addShapeKeyword(forBodies);
addShapeKeyword(forText);

/**
 * What a string field must be, in words ("an e-mail address", "a date, YYYY-MM-DD"): the error
 * handler answers a pattern, format or length error of that field with it.
 */
export const EXPECT_KEYWORD = "x-expect";

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === "body" ? forBodies : forText).compile(patternsWithinBounds(schema) as object) as ReturnType<
    FastifySchemaCompiler<object>
  >;

/**
 * A JSON body's validator outside a route, exactly as routes validate theirs: for the CLI and file
 * imports, whose input must pass the same checks as the API's (link/sites/site-validation.ts).
 */
export const compileBodyValidator = (schema: object) =>
  forBodies.compile(patternsWithinBounds(schema) as object);

/**
 * With allErrors, Ajv would run a `pattern` over a string its `maxLength` already refused, and
 * some patterns backtrack quadratically (the e-mail one takes seconds on 60 KB): a pattern runs only
 * on a string within its length, so the work per field stays bounded by that length.
 */
function patternsWithinBounds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(patternsWithinBounds);
  if (typeof schema !== "object" || schema === null) return schema;
  const node = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, patternsWithinBounds(value)]),
  ) as Record<string, unknown>;
  const { pattern, maxLength, ...rest } = node;
  if (typeof pattern !== "string" || typeof maxLength !== "number") return node;
  const expect = node[EXPECT_KEYWORD] === undefined ? {} : { [EXPECT_KEYWORD]: node[EXPECT_KEYWORD] };
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, a schema that is never awaited
  return { ...rest, maxLength, if: { maxLength }, then: { pattern, ...expect } };
}
