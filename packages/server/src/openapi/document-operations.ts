import type { CodeInfo } from "@tessera/codes";
import type { FastifyInstance, FastifySchema, RouteOptions } from "fastify";
import { withDeprecationHeaders } from "./deprecation-headers.ts";
import { describedInputs } from "./described-inputs.ts";
import { catalogCode, documentedResponses } from "./documented-responses.ts";
import { documentTimes } from "./documented-times.ts";
import { type DomainOperations, isHidden, type OperationDoc, type OperationEntry } from "./operation-docs.ts";
import {
  bodyErrors,
  everyOperationErrors,
  idempotencyErrors,
  methodsWithBody,
  tenantApiErrors,
} from "./shared-errors.ts";

type Schema = Record<string, unknown>;

/** The semantics of docs/api.md "Retries: Idempotency-Key", next to the header it explains. */
const idempotencyKeyHeader = {
  type: "string",
  minLength: 1,
  maxLength: 255,
  pattern: "^[\\x21-\\x7e]+$",
  description:
    "Makes a retry safe (1–255 visible ASCII characters, per tenant). A retry with the same key and the same request gets the first answer again, with `idempotent-replayed: true`; the same key with a different request, or while the first is still being answered, is 422 IdempotencyKeyReused. 5xx, 429 and lock answers (Retry-After) release the key; keys expire after 24 hours.",
};

/** Every entry of every domain by its key; a key documented twice is a mistake caught at start. */
function indexEntries(
  domains: readonly DomainOperations[],
): Map<string, { tag: string; entry: OperationEntry }> {
  const index = new Map<string, { tag: string; entry: OperationEntry }>();
  for (const { tag, operations } of domains)
    for (const [key, entry] of Object.entries(operations)) {
      if (index.has(key)) throw new Error(`the operation ${key} is documented twice`);
      index.set(key, { tag, entry });
    }
  return index;
}

const infos = (names: readonly string[], key: string): CodeInfo[] => [
  ...new Map(names.map((name) => catalogCode(name, key)).map((info) => [info.value, info])).values(),
];

/** The refusals an operation documents: its own, then the shared ones that apply to it. */
function errorsOf(key: string, route: RouteOptions, doc: OperationDoc): CodeInfo[] {
  const [method = "", url = ""] = key.split(" ");
  const names = [
    ...doc.errors,
    ...(url.startsWith("/v1/") ? tenantApiErrors : []),
    ...(url.startsWith("/v1/") && methodsWithBody.has(method) ? bodyErrors : []),
    ...(route.config?.idempotent === true ? idempotencyErrors : []),
    ...everyOperationErrors,
  ];
  return infos(names, key);
}

/** The codes of its success answers: Success unless the docs name published outcomes. */
const outcomesOf = (key: string, doc: OperationDoc): CodeInfo[] => infos(doc.outcomes ?? ["Success"], key);

/** Who may call it, read from the security the route ends up with, so the text cannot drift. */
function accessLine(schema: FastifySchema): string {
  const scope = schema.security?.[0]?.tenantApiKey?.[0];
  if (scope === undefined) return "**Access:** no API key.";
  return scope === "admin"
    ? "**Access:** an API key with the `admin` scope."
    : `**Access:** an API key with the \`${scope}\` scope (or \`admin\`).`;
}

/** The route's schema as the document shows it: a copy, so validation and serialisation are untouched. */
function documentedSchema(
  key: string,
  tag: string,
  doc: OperationDoc,
  route: RouteOptions,
  schema: FastifySchema,
): Schema {
  const idempotent = route.config?.idempotent === true;
  const description = [
    doc.description,
    accessLine(schema),
    ...(idempotent ? ["**Idempotency-Key:** honoured; see the header below."] : []),
  ].join("\n\n");
  const inputs = describedInputs(key, schema, doc.fields);
  const body = inputs.body;
  return {
    ...schema,
    ...inputs,
    hide: false,
    summary: doc.summary,
    description,
    tags: [tag],
    ...(doc.public === true ? { security: [] } : {}),
    ...(body === undefined || doc.request === undefined
      ? {}
      : { body: { ...body, "x-examples": { example: { summary: doc.summary, value: doc.request } } } }),
    ...(idempotent
      ? {
          headers: {
            type: "object",
            properties: {
              ...(schema.headers as { properties?: Schema } | undefined)?.properties,
              "idempotency-key": idempotencyKeyHeader,
            },
          },
        }
      : {}),
    response: withDeprecationHeaders(
      documentedResponses(
        (schema.response ?? {}) as Record<string, Schema>,
        outcomesOf(key, doc),
        errorsOf(key, route, doc),
        doc,
      ),
      schema,
      doc,
    ),
  };
}

/**
 * Merges the per-domain docs files into the OpenAPI document: an onRoute hook gives each documented
 * route a swaggerTransform, which builds the operation from a copy of the route's schema. Routes
 * with no entry stay as they are, without a summary, which the OpenAPI test refuses. Must be
 * registered before the routes.
 */
export function documentOperations(app: FastifyInstance, domains: readonly DomainOperations[]): void {
  const entries = indexEntries(domains);
  app.addHook("onRoute", (route) => {
    if (route.method === "HEAD") return;
    const key = `${String(route.method)} ${route.url}`;
    const found = entries.get(key);
    if (found === undefined) return;
    const { tag, entry } = found;
    if (isHidden(entry)) {
      route.config = {
        ...route.config,
        swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, hide: true }, url }),
      };
      return;
    }
    // Fail at start, not at the first request for the document, when a name is not in the catalog.
    errorsOf(key, route, entry);
    outcomesOf(key, entry);
    describedInputs(key, route.schema ?? {}, entry.fields);
    route.config = {
      ...route.config,
      swaggerTransform: ({ schema, url }) => ({
        schema: documentedSchema(key, tag, entry, route, documentTimes(schema ?? {})),
        url,
      }),
    };
  });
}
