import { Ajv } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Two validators: query strings and path parameters are text by nature, so "20" may become 20
 * there; JSON bodies are typed, so "20" is not a number and is refused. Unknown body fields are
 * never dropped silently (the schemas say additionalProperties: false).
 */
const common = { allErrors: false, removeAdditional: false, useDefaults: false, strict: false } as const;
const forBodies = new Ajv({ ...common, coerceTypes: false });
const forText = new Ajv({ ...common, coerceTypes: "array" });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === "body" ? forBodies : forText).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
