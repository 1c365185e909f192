import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * One wire convention (PRODUCT.md §4), pinned over the OpenAPI document a real server serves, so
 * a new route that strays from it fails here without anyone remembering to add it: every time is
 * an RFC 3339 string (`format: date-time`), in responses and in requests; every success carries
 * the envelope; every request body refuses unknown fields.
 */
type Schema = {
  type?: string | string[];
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: boolean | Schema;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
};
type Operation = {
  parameters?: { name: string; in: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

/** A property holds a time when its name or its description says so. */
const timeName = /(At|Until|From|Since|Expiry)$|^(at|since|until|from|to|expires|expiry|time|timestamp)$/;
const timeWords = /epoch|milliseconds since|date-time|RFC 3339/i;
const isTime = (name: string, schema: Schema) =>
  timeName.test(name) || timeWords.test(schema.description ?? "");

const types = (schema: Schema) => (Array.isArray(schema.type) ? schema.type : [schema.type]);

/** Every property of a schema, nested objects and array items included, with its path. */
function* properties(schema: Schema | undefined, path: string): Generator<[string, string, Schema]> {
  if (schema === undefined) return;
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    yield [`${path}.${name}`, name, child];
    yield* properties(child, `${path}.${name}`);
  }
  if (schema.items !== undefined) yield* properties(schema.items, `${path}[]`);
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) yield* properties(branch, path);
}

/** Every object schema, nested ones included. */
function* objects(schema: Schema | undefined, path: string): Generator<[string, Schema]> {
  if (schema === undefined) return;
  if (schema.properties !== undefined) yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* objects(child, `${path}.${name}`);
  if (schema.items !== undefined) yield* objects(schema.items, `${path}[]`);
}

suite("one wire convention, over the served OpenAPI document", () => {
  let s: TestServer;
  let operations: [string, Operation][] = [];
  before(async () => {
    s = await startTestServer("sqlite");
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
    );
    assert.ok(operations.length > 40, "the document lists the API");
  });
  after(() => s.close());

  test("every time in a response is an RFC 3339 string (format date-time), never an epoch number", () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const [label, op] of operations)
      for (const [status, response] of Object.entries(op.responses ?? {}))
        for (const [path, name, schema] of properties(response.content?.["application/json"]?.schema, ""))
          if (isTime(name, schema)) {
            seen++;
            const allowed = types(schema).every((t) => t === "string" || t === "null");
            if (!allowed || schema.format !== "date-time" || /epoch/i.test(schema.description ?? ""))
              wrong.push(`${label} ${status} ${path}: ${JSON.stringify(schema)}`);
          }
    assert.ok(seen > 20, `time properties found: ${seen}`);
    assert.deepEqual(wrong, []);
  });

  test("every time in a request (body or query) accepts an RFC 3339 string", () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const [label, op] of operations) {
      const inputs: [string, string, Schema][] = [
        ...properties(op.requestBody?.content?.["application/json"]?.schema, "body"),
        ...(op.parameters ?? []).map((p): [string, string, Schema] => [`${p.in}.${p.name}`, p.name, p.schema ?? {}]),
      ];
      for (const [path, name, schema] of inputs)
        if (isTime(name, schema)) {
          seen++;
          // A calendar day (Link's transaction dates) is a date, not a time: `format: date`.
          if (!types(schema).includes("string") || !["date-time", "date"].includes(schema.format ?? ""))
            wrong.push(`${label} ${path}: ${JSON.stringify(schema)}`);
        }
    }
    assert.ok(seen >= 3, `time inputs found: ${seen}`);
    assert.deepEqual(wrong, []);
  });

  test("every 2xx response carries the envelope: errorCode, errorName, errorMessage, outcome", () => {
    const wrong: string[] = [];
    for (const [label, op] of operations)
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!status.startsWith("2")) continue;
        const schema = response.content?.["application/json"]?.schema;
        if (schema === undefined) continue;
        for (const name of ["errorCode", "errorName", "errorMessage"])
          if (!(schema.required ?? []).includes(name)) wrong.push(`${label} ${status}: ${name} not required`);
        if (schema.properties?.outcome === undefined) wrong.push(`${label} ${status}: no outcome`);
      }
    assert.deepEqual(wrong, []);
  });

  test("every request body refuses unknown fields, nested objects included", () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const [label, op] of operations) {
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      for (const [path, object] of objects(schema, "body")) {
        seen++;
        if (object.additionalProperties !== false) wrong.push(`${label} ${path}`);
      }
    }
    assert.ok(seen > 20, `request bodies found: ${seen}`);
    assert.deepEqual(wrong, []);
  });
});
