import { extremeNumberTexts, RawNumber, type Schema, toJsonText, toQueryText } from "./schema-arbitraries.ts";

/**
 * Deterministic attacks on one route of the OpenAPI document: a plausible request (known ids in
 * the path, required fields filled), then the same request with one field or parameter at a time
 * replaced by each extreme number, a string past its maxLength, an array past its maxItems, or a
 * number where a string belongs. Random search would rarely pair the right path with the right
 * field; this covers every pair.
 */
export type Parameter = { in: string; name: string; required?: boolean; schema: Schema };
export type Operation = {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};
export type FuzzCase = { label: string; path: string; body: string | undefined };

const typesOf = (schema: Schema) => [schema.type ?? "object"].flat();

/** A value that passes the schema where possible, so that the attack is on one field only. */
function plausible(schema: Schema, name: string, known: Record<string, readonly string[]>): unknown {
  const types = typesOf(schema);
  if (schema.enum !== undefined) return schema.enum[0];
  if (types.includes("string")) return known[name]?.[0] ?? "x";
  if (types.includes("integer") || types.includes("number")) return schema.minimum ?? 1;
  if (types.includes("boolean")) return false;
  if (types.includes("array")) return [];
  return {};
}

/** The attacks on one field of the given schema. */
function attacks(schema: Schema, name: string, known: Record<string, readonly string[]>): unknown[] {
  const types = typesOf(schema);
  if (types.includes("integer") || types.includes("number"))
    return extremeNumberTexts.map((t) => new RawNumber(t));
  const confusion = new RawNumber("9007199254740993");
  // NUL: PostgreSQL text cannot hold it, so it must be refused before any query (a 500 otherwise).
  if (types.includes("string"))
    return ["a".repeat((schema.maxLength ?? 10_000) + 1), confusion, `${known[name]?.[0] ?? "x"}\u0000`];
  if (types.includes("array")) {
    const item = plausible(schema.items ?? {}, name, known);
    return [Array.from({ length: (schema.maxItems ?? 10_000) + 1 }, () => item), confusion];
  }
  if (types.includes("object") && schema.properties === undefined) {
    const many = (schema.maxProperties ?? 100) + 1;
    return [Object.fromEntries(Array.from({ length: many }, (_, i) => [`f${i}`, "x"])), { x: confusion }];
  }
  return [confusion];
}

export function fuzzCases(
  routePath: string,
  operation: Operation,
  known: Record<string, readonly string[]>,
  destructive: boolean,
): FuzzCase[] {
  const parameters = operation.parameters ?? [];
  const bodySchema = operation.requestBody?.content?.["application/json"]?.schema;
  const pathValues: Record<string, unknown> = {};
  // A route that destroys or disables what it names gets a name that does not exist, so that
  // the fixtures survive for the routes fuzzed after it.
  for (const p of parameters.filter((p) => p.in === "path"))
    pathValues[p.name] = destructive ? "fuzz-missing" : plausible(p.schema, p.name, known);
  const queryValues: Record<string, unknown> = {};
  for (const p of parameters.filter((p) => p.in === "query" && p.required === true))
    queryValues[p.name] = plausible(p.schema, p.name, known);
  const bodyValues: Record<string, unknown> = {};
  for (const name of bodySchema?.required ?? [])
    bodyValues[name] = plausible(bodySchema?.properties?.[name] ?? {}, name, known);

  const build = (
    label: string,
    path: Record<string, unknown>,
    query: Record<string, unknown>,
    body: unknown,
  ) => {
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]) => [k, toQueryText(v)] as [string, string]),
    );
    const filled = routePath.replace(/\{([^}]+)\}/g, (_m, name: string) =>
      encodeURIComponent(toQueryText(path[name] ?? "x")),
    );
    return {
      label,
      path: `${filled}${search.size > 0 ? `?${search.toString()}` : ""}`,
      body: bodySchema === undefined ? undefined : toJsonText(body),
    };
  };
  const cases: FuzzCase[] = [build("plausible", pathValues, queryValues, bodyValues)];
  for (const p of parameters) {
    if (p.in !== "path" && p.in !== "query") continue;
    for (const value of attacks(p.schema, p.name, known)) {
      // Named as the error handler names the field at fault.
      const label = `${p.in === "path" ? "params" : "querystring"}.${p.name}`;
      if (p.in === "path")
        cases.push(build(label, { ...pathValues, [p.name]: value }, queryValues, bodyValues));
      else cases.push(build(label, pathValues, { ...queryValues, [p.name]: value }, bodyValues));
    }
  }
  // A lone surrogate is not text (JSON carries it as an escape); only a body can hold one, as a
  // URL cannot encode it.
  const notText = (schema: Schema) => (typesOf(schema).includes("string") ? ["\ud800x"] : []);
  for (const [name, schema] of Object.entries(bodySchema?.properties ?? {}))
    for (const value of [...attacks(schema, name, known), ...notText(schema)])
      cases.push(build(`body.${name}`, pathValues, queryValues, { ...bodyValues, [name]: value }));
  return cases;
}
