import type { FastifyReply, FastifyRequest } from "fastify";
import { formatRfc3339 } from "./rfc3339-time.ts";

/**
 * Times leave as RFC 3339 strings in UTC (PRODUCT.md §4) while storage, views and domain code keep
 * epoch milliseconds. The conversion happens here only, driven by the response schema: whatever
 * the schema declares `format: date-time` is written as RFC 3339, so a route cannot declare one
 * shape and send another, and the OpenAPI document (generated from the same schemas) is the truth.
 * The CLI prints its JSON through the same function.
 */
type Schema = { format?: string; properties?: Record<string, Schema>; items?: Schema };
const EACH = Symbol("each");
type Path = readonly (string | typeof EACH)[];

const cache = new WeakMap<object, readonly Path[]>();

/** Where the schema holds times, computed once per schema object. */
function timePaths(schema: Schema): readonly Path[] {
  const known = cache.get(schema);
  if (known !== undefined) return known;
  const paths: Path[] = [];
  if (schema.format === "date-time") paths.push([]);
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    for (const path of timePaths(child)) paths.push([name, ...path]);
  if (schema.items !== undefined) for (const path of timePaths(schema.items)) paths.push([EACH, ...path]);
  cache.set(schema, paths);
  return paths;
}

/** A copy along the path (the value may be shared, e.g. the request's tenant), never a mutation. */
function convert(value: unknown, path: Path, at: number): unknown {
  if (at === path.length) return typeof value === "number" ? formatRfc3339(value) : value;
  if (typeof value !== "object" || value === null) return value;
  const step = path[at];
  if (step === EACH) return Array.isArray(value) ? value.map((item) => convert(item, path, at + 1)) : value;
  if (step === undefined || !(step in value)) return value;
  const record = value as Record<string, unknown>;
  return { ...record, [step]: convert(record[step], path, at + 1) };
}

/** `value` with every epoch-millisecond time the schema declares as date-time in RFC 3339. */
export function toWireTimes<T>(schema: object, value: T): T {
  let result: unknown = value;
  for (const path of timePaths(schema as Schema)) result = convert(result, path, 0);
  return result as T;
}

/** The response schema Fastify will serialize this reply with, as the route declared it. */
function responseSchema(request: FastifyRequest, status: number): object | undefined {
  const byStatus = (request.routeOptions.schema as { response?: Record<string, object> } | undefined)
    ?.response;
  if (byStatus === undefined) return undefined;
  return byStatus[String(status)] ?? byStatus[`${String(status)[0]}xx`] ?? byStatus.default;
}

/** preSerialization hook of the whole app. */
export async function wireTimes(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const schema = responseSchema(request, reply.statusCode);
  return schema === undefined ? payload : toWireTimes(schema, payload);
}
