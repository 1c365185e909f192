import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe as suite, test } from "node:test";
import { recordObservedCode } from "@tessera/codes/coverage";
import fc from "fast-check";
import { sql } from "kysely";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * Whatever arrives, the answer is the envelope with a code below 500, in bounded time, and a
 * refused request changes nothing but the audit trail (and the failure counters it exists to
 * update). Routes come from the OpenAPI document, so a new route is fuzzed without edits here.
 */
type Route = { method: string; path: string };

const tablesThatMayChange = new Set([
  "audit_events",
  "audit_head",
  "audit_checkpoints",
  "source_failures",
  "api_keys",
  "users",
]);

async function snapshot(s: TestServer): Promise<string> {
  const { db } = s.server.ctx.database;
  const parts: string[] = [];
  for (const table of [
    "tenants",
    "api_keys",
    "users",
    "password_recoveries",
    "sessions",
    "idempotency_keys",
    "key_checks",
    "signing_keys",
  ]) {
    // users and api_keys carry counters and last-used times that a refused request may update
    // legitimately (a wrong password counts); their row counts must still not change.
    const rows = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    parts.push(`${table}=${rows.rows[0]?.n}`);
    if (!tablesThatMayChange.has(table))
      parts.push(JSON.stringify((await sql`select * from ${sql.table(table)}`.execute(db)).rows));
  }
  return parts.join("|");
}

/** A raw HTTP exchange, so that bodies and headers fetch would refuse can be sent too. */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${path} within 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

const segment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "..",
    "%2e%2e",
    "%00",
    "alice",
    "ALICE",
    "a".repeat(400),
    "tss_x",
    "😀",
    "%",
    "%ZZ",
    "a b",
    "null",
    "0",
  ),
);
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      username: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      password: fc.oneof(fc.string(), fc.boolean()),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(
    fc.constantFrom(
      "username",
      "email",
      "durationMinutes",
      "type",
      "newPassword",
      "rid",
      "mid",
      "isAdmin",
      "__proto__",
      "constructor",
    ),
    fc.anything({ maxDepth: 2 }),
  ),
);
const rawBody = fc.oneof(
  jsonBody.map((v) => Buffer.from(JSON.stringify(v) ?? "null")),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.from('{"username":')),
  fc.constant(Buffer.alloc(70_000, 0x61)),
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
  "application/json; charset=latin1",
);
const query = fc.dictionary(
  fc.constantFrom("query", "by", "limit", "cursor", "from", "to", "resultCode", "x"),
  fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String)),
  { maxKeys: 3 },
);

for (const backend of backends) {
  suite(`malformed input never breaks the server (${backend})`, () => {
    let s: TestServer;
    let routes: Route[];
    let apiKey = "";
    before(async () => {
      s = await startTestServer(backend);
      ({ apiKey } = await s.tenant());
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice", password: "correct horse" },
        scenario: "fuzz: setup",
      });
      const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
      );
      assert.ok(routes.length >= 12, `${routes.length} routes found`);
    });
    after(() => s.close());

    test("random paths, queries, headers and bodies on every route: envelope, < 500, no write when refused", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 1000 }),
          fc.array(segment, { minLength: 1, maxLength: 3 }),
          query,
          rawBody,
          contentType,
          fc.constantFrom("valid", "none", "garbage"),
          fc.boolean(),
          async (pick, segments, q, body, type, auth, withBody) => {
            const route = routes[pick % routes.length] as Route;
            let i = 0;
            const path = route.path.replace(/\{[^}]+\}/g, () =>
              encodeURIComponent(segments[i++ % segments.length] ?? "x"),
            );
            const search = new URLSearchParams(q).toString();
            const headers: Record<string, string> = { "x-forwarded-for": "198.18.0.1" };
            if (auth === "valid") headers.authorization = `Bearer ${apiKey}`;
            if (auth === "garbage") headers.authorization = `Bearer tsk_${segments.join("")}`;
            if (type !== "") headers["content-type"] = type;
            const before = await snapshot(s);
            const sendBody = withBody && route.method !== "GET" ? body : undefined;
            let response: { status: number; text: string };
            try {
              response = await send(
                s.url,
                route.method,
                `${path}${search ? `?${search}` : ""}`,
                headers,
                sendBody,
              );
            } catch (error) {
              if ((error as Error).message.includes("no answer")) throw error;
              return; // the client library refused to send it (e.g. an invalid header): nothing reached the server
            }
            assert.ok(
              response.status < 500,
              `${route.method} ${path} → ${response.status}: ${response.text.slice(0, 200)}`,
            );
            assert.doesNotMatch(response.text, /at [\w.]+ \(|node:internal|\.ts:\d+/, "no stack trace");
            // End-user pages (provisioning, recovery) answer browsers with a document, not the envelope.
            if (!response.text.startsWith("<!doctype html>")) {
              const parsed = JSON.parse(response.text) as {
                errorCode: number;
                errorName: string;
                errorMessage: string;
              };
              assert.equal(typeof parsed.errorCode, "number");
              assert.equal(typeof parsed.errorMessage, "string");
              recordObservedCode("api", parsed.errorCode, "fuzz");
            }
            if (response.status >= 400)
              assert.equal(await snapshot(s), before, `${route.method} ${path} was refused but wrote`);
          },
        ),
        { numRuns: 300 },
      );
    });

    test("unknown paths and methods anywhere are envelopes too", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(segment, { maxLength: 4 }),
          fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
          async (segments, method) => {
            const path = `/${segments.map(encodeURIComponent).join("/")}`;
            const r = await send(
              s.url,
              method,
              path,
              { authorization: `Bearer ${apiKey}`, "x-forwarded-for": "198.18.0.2" },
              undefined,
            );
            assert.ok(r.status < 500, `${method} ${path} → ${r.status}`);
            assert.equal(typeof (JSON.parse(r.text) as { errorCode: unknown }).errorCode, "number");
          },
        ),
        { numRuns: 150 },
      );
    });

    test("headers too large for the HTTP parser still get the envelope", async () => {
      const r = await send(
        s.url,
        "GET",
        "/v1/tenant",
        { authorization: `Bearer ${"x".repeat(20_000)}` },
        undefined,
      );
      assert.equal(r.status, 431);
      assert.equal((JSON.parse(r.text) as { errorName: string }).errorName, "MalformedRequest");
    });
  });
}
