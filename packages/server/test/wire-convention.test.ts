import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { Ajv } from "ajv";
import fc from "fast-check";
import { formatRfc3339, MAX_EPOCH_MS, parseRfc3339 } from "../src/app/rfc3339-time.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { withoutEnvelope } from "./helpers/without-envelope.ts";

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
  responses?: Record<
    string,
    { content?: Record<string, { schema?: Schema; examples?: Record<string, { value?: unknown }> }> }
  >;
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

/** The value at a path of `properties` (".a.b"), the first item standing for `[]`. */
function valueAt(value: unknown, path: string): unknown {
  let at = value;
  for (const step of path.split(".").slice(1)) {
    const name = step.replace(/\[\]$/, "");
    at = (at as Record<string, unknown> | undefined)?.[name];
    if (step.endsWith("[]")) at = Array.isArray(at) ? at[0] : undefined;
  }
  return at;
}

/** Every object schema, nested ones included. */
function* objects(schema: Schema | undefined, path: string): Generator<[string, Schema]> {
  if (schema === undefined) return;
  if (schema.properties !== undefined) yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    yield* objects(child, `${path}.${name}`);
  if (schema.items !== undefined) yield* objects(schema.items, `${path}[]`);
}

/**
 * Envelope fields an answer carries only sometimes: `outcome` on published outcomes, `field` and
 * `errors` on input problems, `lockedUntil` on temporary locks, `challenge` when POST
 * /v1/authenticators binds a phone or e-mail device (its example shows an OATH token, the common
 * case; the challenge device's answer is shown in docs/authenticators.md).
 */
const sometimes = new Set(["outcome", "field", "errors", "lockedUntil", "challenge"]);

/**
 * A response schema made strict for checking examples: every object refuses properties it does not
 * declare, and requires every one it declares (but the envelope's `sometimes`; a nested object that
 * lists its own `required`, such as a job's timeline entry, is taken at its word), so an example
 * showing a field the server never sends, or leaving out one it always sends, fails.
 */
function strict(schema: Schema, envelope = true): Schema {
  const copy: Schema = { ...schema };
  if (schema.properties !== undefined) {
    copy.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, child]) => [name, strict(child, false)]),
    );
    copy.additionalProperties = false;
    copy.required =
      !envelope && schema.required !== undefined
        ? schema.required
        : Object.keys(schema.properties).filter((name) => !(envelope && sometimes.has(name)));
  }
  if (schema.items !== undefined) copy.items = strict(schema.items, false);
  if (schema.anyOf !== undefined) copy.anyOf = schema.anyOf.map((branch) => strict(branch, false));
  if (schema.oneOf !== undefined) copy.oneOf = schema.oneOf.map((branch) => strict(branch, false));
  return copy;
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
      Object.entries(byMethod).map(([method, op]): [string, Operation] => [
        `${method.toUpperCase()} ${path}`,
        op,
      ]),
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
        ...(op.parameters ?? []).map((p): [string, string, Schema] => [
          `${p.in}.${p.name}`,
          p.name,
          p.schema ?? {},
        ]),
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

  test("every epoch-number time input is documented as the server takes it: 0 or from 10^11 ms, never seconds", () => {
    const ajv = new Ajv({ strict: false, logger: false });
    const wrong: string[] = [];
    let seen = 0;
    for (const [label, op] of operations) {
      const inputs: [string, string, Schema][] = [
        ...properties(op.requestBody?.content?.["application/json"]?.schema, "body"),
        ...(op.parameters ?? []).map((p): [string, string, Schema] => [
          `${p.in}.${p.name}`,
          p.name,
          p.schema ?? {},
        ]),
      ];
      for (const [path, name, schema] of inputs) {
        if (!isTime(name, schema) || !types(schema).includes("integer")) continue;
        seen++;
        const valid = ajv.compile(schema);
        // What the server answers (input-answers.test.ts): 0 and 10^11 taken, 1 and 10^11-1 refused.
        for (const [value, taken] of [
          [0, true],
          [1e11, true],
          [1, false],
          [1e11 - 1, false],
          [-1, false],
        ] as const)
          if (valid(value) !== taken)
            wrong.push(`${label} ${path}: ${value} ${taken ? "refused" : "accepted"}`);
      }
    }
    assert.ok(seen >= 3, `epoch time inputs found: ${seen}`);
    assert.deepEqual(wrong, []);
  });

  test("every 2xx response carries the envelope: errorCode, errorName, errorMessage, outcome", () => {
    const wrong: string[] = [];
    for (const [label, op] of operations)
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!status.startsWith("2") || withoutEnvelope.has(label)) continue;
        const schema = response.content?.["application/json"]?.schema;
        if (schema === undefined) continue;
        for (const name of ["errorCode", "errorName", "errorMessage"])
          if (!(schema.required ?? []).includes(name)) wrong.push(`${label} ${status}: ${name} not required`);
        if (schema.properties?.outcome === undefined) wrong.push(`${label} ${status}: no outcome`);
      }
    assert.deepEqual(wrong, []);
  });

  test("every example answer matches its schema made strict, its times written as RFC 3339", () => {
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    const wrong: string[] = [];
    let seen = 0;
    for (const [label, op] of operations)
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const media = response.content?.["application/json"];
        if (media?.schema === undefined) continue;
        const valid = ajv.compile(strict(media.schema));
        for (const [name, example] of Object.entries(media.examples ?? {})) {
          seen++;
          if (!valid(example.value))
            wrong.push(`${label} ${status} ${name}: ${ajv.errorsText(valid.errors)}`);
          for (const [path, , schema] of properties(media.schema, ""))
            if (schema.format === "date-time") {
              const at = valueAt(example.value, path);
              if (
                at !== undefined &&
                at !== null &&
                (typeof at !== "string" || parseRfc3339(at) === undefined)
              )
                wrong.push(`${label} ${status} ${name} ${path}: ${JSON.stringify(at)}`);
            }
        }
      }
    assert.ok(seen > 100, `examples checked: ${seen}`);
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

const fieldPrefix = /^(body|querystring|params|headers)(\.|$)/;

for (const backend of backends) {
  suite(`one wire convention, end to end (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    before(async () => {
      s = await startTestServer(backend);
      ({ apiKey } = await s.tenant());
    });
    after(() => s.close());
    const call = (method: string, path: string, scenario: string, body?: unknown) =>
      s.api(method, path, { apiKey, scenario, ...(body === undefined ? {} : { body }) });

    test("times go out as RFC 3339 in UTC; any offset comes in; epoch numbers get a Deprecation header", async () => {
      const created = await call("POST", "/v1/users", "wire: time with an offset", {
        username: "olga",
        expiresAt: "2027-06-30T14:00:00.5+02:00",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const user = created.body.user as Record<string, unknown>;
      assert.equal(user.expiresAt, "2027-06-30T12:00:00.500Z");
      assert.equal(user.createdAt, new Date(s.clock.now()).toISOString());
      assert.equal(user.lockedUntil, null);
      assert.equal(created.headers.get("deprecation"), null);

      const epoch = await call("PATCH", "/v1/users/olga", "wire: epoch time (deprecated)", {
        expiresAt: Date.UTC(2028, 0, 1),
      });
      assert.equal(epoch.status, 200);
      assert.equal((epoch.body.user as Record<string, unknown>).expiresAt, "2028-01-01T00:00:00.000Z");
      assert.equal(epoch.headers.get("deprecation"), `@${Date.UTC(2026, 10, 30) / 1000}`);
      assert.match(epoch.headers.get("link") ?? "", /rel="deprecation"/);

      // Times nested in arrays convert alike (an import's rows).
      const imported = await call("POST", "/v1/users/import", "wire: time with an offset", {
        users: [{ username: "imp1", expiresAt: "2027-06-30T23:30:00-05:00" }, { username: "imp2" }],
      });
      assert.equal(imported.status, 200, JSON.stringify(imported.body));
      const imp1 = await call("GET", "/v1/users/imp1", "wire: time with an offset");
      assert.equal((imp1.body.user as Record<string, unknown>).expiresAt, "2027-07-01T04:30:00.000Z");

      const session = await call("POST", "/v1/sessions", "wire: session times", {
        username: "olga",
        durationMinutes: 30,
        type: "web",
      });
      assert.equal(session.body.expiresAt, new Date(s.clock.now() + 30 * 60_000).toISOString());
      const checked = await call("GET", `/v1/sessions/${session.body.sessionToken}`, "wire: session times");
      assert.deepEqual(checked.body.session, {
        username: "olga",
        type: "web",
        createdAt: new Date(s.clock.now()).toISOString(),
        expiresAt: new Date(s.clock.now() + 30 * 60_000).toISOString(),
      });
    });

    test("a malformed or out-of-range time is a 400 naming the field, in bodies and query strings", async () => {
      for (const expiresAt of [
        "2027-06-30",
        "2027-06-30T12:00:00",
        "2027-02-30T12:00:00Z",
        "10000-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "yesterday",
        "1700000000000",
        -1,
        2 ** 53,
        1.5,
        Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 1,
        "x".repeat(100_000),
      ]) {
        const r = await call("PATCH", "/v1/users/olga", "wire: malformed time", { expiresAt });
        assert.equal(r.status, expiresAt === "x".repeat(100_000) ? 413 : 400, String(expiresAt).slice(0, 40));
        if (r.status === 400) {
          assert.equal(r.body.field, "body.expiresAt", String(expiresAt));
          assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
        }
      }
      for (const from of ["2027-13-01T00:00:00Z", "-5", "1.5", "9999999999999999"]) {
        const r = await call("GET", `/v1/audit?from=${encodeURIComponent(from)}`, "wire: malformed time");
        assert.equal(r.status, 400, from);
        assert.equal(r.body.field, "querystring.from", from);
      }
    });

    test("a time in a query string with an offset selects the same instant as in UTC", async () => {
      await call("GET", "/v1/users/olga", "wire: audit window");
      const at = new Date(s.clock.now()).toISOString();
      const window = (from: string, to: string) =>
        call(
          "GET",
          `/v1/audit?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&operation=${encodeURIComponent("GET /v1/users/:username")}`,
          "wire: audit window",
        );
      const utc = await window(at, new Date(s.clock.now() + 1).toISOString());
      const events = utc.body.events as { at: string }[];
      assert.ok(events.length > 0);
      for (const e of events) assert.equal(e.at, at);
      // The same window written in +05:30 (and an unescaped `+` read as a space in a query string).
      const shifted = new Date(s.clock.now() + 5.5 * 3_600_000).toISOString().replace("Z", "+05:30");
      const sameInstant = await call(
        "GET",
        `/v1/audit?from=${shifted.replace("+", "%2B")}&to=${encodeURIComponent(new Date(s.clock.now() + 1).toISOString())}&operation=${encodeURIComponent("GET /v1/users/:username")}`,
        "wire: audit window",
      );
      assert.deepEqual(sameInstant.body.events, events);
      const spaced = await call(
        "GET",
        `/v1/audit?from=${shifted}&to=${encodeURIComponent(new Date(s.clock.now() + 1).toISOString())}&operation=${encodeURIComponent("GET /v1/users/:username")}`,
        "wire: audit window",
      );
      assert.deepEqual(spaced.body.events, events);
      const epoch = await call(
        "GET",
        `/v1/audit?from=${s.clock.now()}&to=${s.clock.now() + 1}`,
        "wire: audit window",
      );
      assert.equal(epoch.status, 200);
      assert.ok(epoch.headers.get("deprecation")?.startsWith("@"));
    });

    test("every error names its field by full path: body., querystring., params., headers.", async () => {
      await call("POST", "/v1/users", "wire: field paths", { username: "dup" });
      const answers = [
        await call("POST", "/v1/users", "wire: field paths", { username: "dup" }),
        await call("POST", "/v1/users", "wire: field paths", { username: "bad name!" }),
        await call("POST", "/v1/users", "wire: field paths", { username: "e", sendEnrolmentEmail: true }),
        await call("POST", "/v1/users", "wire: field paths", { username: 5 }),
        await call("GET", "/v1/users?limit=0", "wire: field paths"),
        await call("GET", `/v1/users/${"x".repeat(301)}`, "wire: field paths"),
        await call("POST", "/v1/auth/password", "wire: field paths", {
          username: "bad name!",
          password: "p",
        }),
        await call("POST", "/v1/authenticators", "wire: field paths", { type: "totp", digits: 7 }),
        await call("POST", "/v1/authenticators", "wire: field paths", { type: "hotp", period: 30 }),
        await s.api("GET", "/v1/users", { scenario: "wire: field paths" }),
        await s.api("POST", "/v1/users", {
          apiKey,
          scenario: "wire: field paths",
          body: { username: "k" },
          headers: { "idempotency-key": "" },
        }),
      ];
      for (const r of answers) {
        assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r.body));
        assert.match(String(r.body.field), fieldPrefix, JSON.stringify(r.body));
      }
      assert.equal(answers[0]?.body.field, "body.username");
      assert.equal(answers[9]?.body.field, "headers.authorization");
    });

    test("an unknown body field is reported as unknown, before what it may have been a typo of", async () => {
      const r = await call("POST", "/v1/users", "wire: unknown field", { usernme: "x" });
      assert.equal(r.status, 400);
      assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(r.body.field, "body.usernme");
      assert.match(r.body.errorMessage, /not a known field/);
      const nested = await call("PATCH", "/v1/tenant", "wire: unknown field", {
        allowedIpRanges: [],
        x: { y: 1 },
      });
      assert.equal(nested.body.field, "body.x");
    });

    test("every problem of a body is reported at once, the first one also as field and errorMessage", async () => {
      const r = await call("POST", "/v1/users", "wire: all problems", {
        usernme: "x",
        email: 5,
        mobile: "12",
        disabled: "no",
      });
      assert.equal(r.status, 400);
      const errors = r.body.errors as { field: string; message: string }[];
      assert.deepEqual(
        errors.map((e) => e.field),
        ["body.usernme", "body.username", "body.email", "body.mobile", "body.disabled"],
      );
      assert.equal(r.body.field, errors[0]?.field);
      assert.equal(r.body.errorMessage, errors[0]?.message);
      for (const e of errors) assert.match(e.field, fieldPrefix);
      // Listing every problem must not run a pattern over a string already too long for its
      // field: this one makes the e-mail pattern backtrack for seconds (quadratic in the length).
      const slow = await call("POST", "/v1/users", "wire: all problems", {
        username: "slow",
        email: `a@${"a.".repeat(30_000)}@`,
      });
      assert.equal(slow.status, 400);
      assert.deepEqual(slow.body.errors, [
        {
          field: "body.email",
          message:
            "body.email must be an e-mail address of at most 254 characters, such as alice@example.com.",
        },
      ]);
      // A huge body of bad rows cannot make a huge answer: the list is capped.
      const rows = Array.from({ length: 1000 }, () => ({ username: 1, email: 2, mobile: 3 }));
      const many = await call("POST", "/v1/users/import", "wire: all problems", { users: rows });
      assert.equal(many.status, 400);
      const listed = many.body.errors as unknown[];
      assert.equal(listed.length, 20);
      assert.match(many.body.errorMessage, /body\.users\.0\.username/);
    });
  });
}

suite("RFC 3339 round trip (property)", () => {
  test("a random instant written with a random offset parses to that instant and prints in UTC", () => {
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_EPOCH_MS }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        fc.integer({ min: 0, max: 9 }),
        (at, offsetMinutes, fractionDigits) => {
          const local = new Date(at + offsetMinutes * 60_000);
          // Skip instants whose local form falls outside the years 0000–9999 (not writable).
          fc.pre(local.getUTCFullYear() >= 0 && local.getUTCFullYear() <= 9999);
          const millis = pad(local.getUTCMilliseconds(), 3);
          const fraction = fractionDigits === 0 ? "" : `.${`${millis}000000`.slice(0, fractionDigits)}`;
          const sign = offsetMinutes < 0 ? "-" : "+";
          const offset =
            offsetMinutes === 0 && fractionDigits % 2 === 0
              ? "Z"
              : `${sign}${pad(Math.trunc(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
          const text = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fraction}${offset}`;
          const expected =
            at - (fractionDigits >= 3 ? 0 : local.getUTCMilliseconds() % 10 ** (3 - fractionDigits));
          const parsed = parseRfc3339(text);
          assert.equal(parsed, expected, text);
          assert.equal(formatRfc3339(expected), new Date(expected).toISOString());
          assert.equal(parseRfc3339(formatRfc3339(expected)), expected);
        },
      ),
      { seed: 20_261_130, numRuns: 2000 },
    );
  });
});
