import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe as suite, test } from "node:test";
import { byName } from "@tessera/codes";
import { type Observation, readObservations } from "@tessera/codes/coverage";
import { describedInputs } from "../src/openapi/described-inputs.ts";
import { documentedCodesGate } from "./helpers/documented-codes-gate.ts";
import { type OpenApiDocument, type Operation, operationsOf } from "./helpers/openapi-document.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * The served /openapi.json of a real server is a reference an integrator can work from. The
 * document is generated from the route schemas and the per-domain docs files, never from the
 * database, so one backend is enough here.
 */
const sharedV1Errors = [
  "PartnerLoginFailed",
  "MaximumLoginPartnerAttempsExceeded",
  "AccountExpired",
  "SourceAddressNotAllowed",
  "PartnerUserLoginFailedNotAdmin",
  "MalformedRequest",
  "RequestTimeout",
  "DatabaseError",
  "InternalError",
];
const operationsEndpoints = ["GET /health", "GET /ready", "GET /metrics", "GET /openapi.json", "GET /docs/"];

/** The (HTTP status, code name) pairs an operation documents, read from its response examples. */
function documentedCodes(operation: Operation): { status: string; name: string; value: number }[] {
  const found: { status: string; name: string; value: number }[] = [];
  for (const [status, response] of Object.entries(operation.responses ?? {}))
    for (const media of Object.values(response.content ?? {}))
      for (const example of Object.values(media.examples ?? {})) {
        const value = example.value as { errorCode?: unknown; errorName?: unknown } | undefined;
        if (typeof value?.errorName === "string" && typeof value.errorCode === "number")
          found.push({ status, name: value.errorName, value: value.errorCode });
      }
  return found;
}

/** A response key ("404", "2XX") covers a catalog status. */
const statusMatches = (key: string, status: number | null): boolean =>
  key === String(status) || (key.endsWith("XX") && key[0] === String(status)[0]);

suite("OpenAPI document", () => {
  let s: TestServer;
  let doc: OpenApiDocument;
  before(async () => {
    s = await startTestServer("sqlite");
    doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as OpenApiDocument;
  });
  after(() => s.close());

  test("every operation has a one-line summary, a description and its own security declaration", () => {
    const operations = operationsOf(doc);
    assert.ok(operations.length >= 55, `only ${operations.length} operations`);
    const problems: string[] = [];
    for (const { key, operation } of operations) {
      if (typeof operation.summary !== "string" || operation.summary.trim() === "")
        problems.push(`${key}: no summary`);
      else if (operation.summary.includes("\n")) problems.push(`${key}: summary is not one line`);
      if (typeof operation.description !== "string" || operation.description.length < 40)
        problems.push(`${key}: no description`);
      if (!Array.isArray(operation.security)) problems.push(`${key}: no security declaration`);
    }
    assert.deepEqual(problems, []);
  });

  test("every operation documents its errors, each a catalog code under its HTTP status", () => {
    const problems: string[] = [];
    for (const { key, operation } of operationsOf(doc)) {
      const codes = documentedCodes(operation);
      if (!codes.some((c) => Number(c.status) >= 400)) problems.push(`${key}: documents no error`);
      for (const { status, name, value } of codes) {
        const info = byName("api", name);
        if (info === undefined || info.name !== name) problems.push(`${key}: ${name} is not in the catalog`);
        else if (info.value !== value) problems.push(`${key}: ${name} is ${info.value}, not ${value}`);
        // Success (0) comes with the operation's own 2xx status (201 for a creation).
        else if (info.value === 0 ? !status.startsWith("2") : !statusMatches(status, info.httpStatus))
          problems.push(`${key}: ${name} answers ${info.httpStatus}, documented under ${status}`);
      }
      if (key.includes(" /v1/"))
        for (const shared of sharedV1Errors)
          if (!codes.some((c) => c.name === shared)) problems.push(`${key}: ${shared} is not documented`);
    }
    assert.deepEqual(problems, []);
  });

  test("each error response carries the envelope schema and one example per code", () => {
    const { operation } = operationsOf(doc).find((o) => o.key === "POST /v1/users") ?? assert.fail();
    const conflict = operation.responses?.["409"]?.content?.["application/json"];
    assert.deepEqual(Object.keys(conflict?.schema?.properties ?? {}).slice(0, 3), [
      "errorCode",
      "errorName",
      "errorMessage",
    ]);
    const example = conflict?.examples?.EnrollPartnerUserFailed;
    assert.equal((example?.value as { errorCode?: number } | undefined)?.errorCode, 9055);
    assert.match(operation.responses?.["409"]?.description ?? "", /EnrollPartnerUserFailed \(9055\)/);
  });

  test("request bodies and success answers have examples", () => {
    const problems: string[] = [];
    for (const { key, operation } of operationsOf(doc)) {
      const body = operation.requestBody?.content?.["application/json"];
      if (body !== undefined && body.example === undefined && body.examples === undefined)
        problems.push(`${key}: no request example`);
      const successes = Object.entries(operation.responses ?? {}).filter(([status]) => /^2/.test(status));
      if (successes.length === 0) problems.push(`${key}: no success response`);
      for (const [status, response] of successes)
        for (const [type, media] of Object.entries(response.content ?? {}))
          if (media.example === undefined && media.examples === undefined)
            problems.push(`${key}: no example of its ${status} ${type} answer`);
    }
    assert.deepEqual(problems, []);
  });

  test("every request-body property, nested ones included, and every parameter has a description", () => {
    type Described = { description?: string; properties?: Record<string, Described>; items?: Described };
    const undescribed = (schema: Described | undefined, path: string): string[] => [
      ...Object.entries(schema?.properties ?? {}).flatMap(([name, child]) => [
        ...((child.description ?? "").trim() === "" ? [`${path}.${name}`] : []),
        ...undescribed(child, `${path}.${name}`),
      ]),
      ...(schema?.items === undefined ? [] : undescribed(schema.items, `${path}[]`)),
    ];
    const problems: string[] = [];
    let seen = 0;
    for (const { key, operation } of operationsOf(doc)) {
      const body = operation.requestBody?.content?.["application/json"]?.schema as Described | undefined;
      seen += Object.keys(body?.properties ?? {}).length + (operation.parameters ?? []).length;
      for (const path of undescribed(body, "body")) problems.push(`${key} ${path}`);
      for (const parameter of operation.parameters ?? [])
        if ((parameter.description ?? "").trim() === "")
          problems.push(`${key} ${parameter.in}.${parameter.name}`);
    }
    assert.ok(seen > 150, `inputs found: ${seen}`);
    assert.deepEqual(problems, []);
  });

  test("a docs file that describes an input its route lacks stops the server instead of drifting", () => {
    const schema = {
      body: {
        type: "object",
        properties: { users: { type: "array", items: { type: "object", properties: { email: {} } } } },
      },
      querystring: { type: "object", properties: { by: { type: "string" } } },
    };
    const described = describedInputs("POST /x", schema, {
      "body.users[].email": "mail",
      "querystring.by": "field",
    });
    assert.deepEqual(described.body, {
      type: "object",
      properties: {
        users: { type: "array", items: { type: "object", properties: { email: { description: "mail" } } } },
      },
    });
    assert.equal(
      (schema.body.properties.users.items.properties.email as { description?: string }).description,
      undefined,
    );
    for (const path of ["body.usrs", "body.users.email", "querystring.query", "params.id", "header.x"])
      assert.throws(
        () => describedInputs("POST /x", schema, { [path]: "?" }),
        new RegExp(`POST /x describe ${path.replace(".", "\\.")}`),
      );
  });

  test("every paged operation is in docs/api.md's paging table with its default and maximum limit", () => {
    const apiMd = readFileSync(new URL("../../../docs/api.md", import.meta.url), "utf8");
    const section = apiMd.slice(apiMd.indexOf("## Lists and paging"));
    const table = new Map(
      [...section.matchAll(/^\| `GET ([^`]+)` \| [^|]+ \| (\d+) \/ (\d+) \|$/gm)].map((m) => [
        `GET ${m[1]}`,
        `${m[2]} / ${m[3]}`,
      ]),
    );
    const paged = operationsOf(doc).filter(({ operation }) =>
      (operation.parameters ?? []).some((p) => p.in === "query" && p.name === "cursor"),
    );
    assert.ok(paged.length >= 12, `paged operations: ${paged.length}`);
    const problems: string[] = [];
    for (const { key, operation } of paged) {
      const limit = operation.parameters?.find((p) => p.in === "query" && p.name === "limit");
      const [, max, initial] = /1–(\d+); (\d+) when absent/.exec(limit?.description ?? "") ?? [];
      const expected = `${initial} / ${max}`;
      if (table.get(key) !== expected)
        problems.push(`${key}: the table says ${table.get(key)}, the server ${expected}`);
    }
    for (const key of table.keys())
      if (!paged.some((o) => o.key === key)) problems.push(`${key} is in the table but does not page`);
    assert.deepEqual(problems, []);
  });

  test("the document and docs/api.md say that messages vary and clients match on errorCode", () => {
    const info = (doc as unknown as { info?: { description?: string } }).info;
    assert.match(info?.description ?? "", /errorMessage varies[^.]*is for people\. Match on errorCode/);
    const apiMd = readFileSync(new URL("../../../docs/api.md", import.meta.url), "utf8");
    assert.match(apiMd, /`errorMessage` varies[\s\S]*?is for people[\s\S]*?Match\s+on `errorCode`/);
  });

  test("Idempotency-Key is documented, with its semantics, on the operations that honour it", () => {
    const idempotent = new Set<string>();
    for (const { key, operation } of operationsOf(doc)) {
      const header = operation.parameters?.find((p) => p.in === "header" && p.name === "idempotency-key");
      if (header === undefined) continue;
      idempotent.add(key);
      assert.match(header.description ?? "", /same key and the same request/, key);
      assert.ok(
        documentedCodes(operation).some((c) => c.name === "IdempotencyKeyReused"),
        key,
      );
    }
    for (const key of [
      "POST /v1/users",
      "POST /v1/sessions",
      "POST /v1/link/credentials",
      "POST /v1/api-keys",
    ])
      assert.ok(idempotent.has(key), `${key} honours Idempotency-Key`);
    for (const key of ["GET /v1/users", "POST /v1/auth/password", "DELETE /v1/users/{username}"])
      assert.ok(!idempotent.has(key), `${key} does not honour Idempotency-Key`);
  });

  test("operations endpoints need no API key, /metrics is described, pages are documented or hidden by choice", () => {
    const operations = new Map(operationsOf(doc).map((o) => [o.key, o.operation]));
    for (const key of operationsEndpoints) {
      const operation = operations.get(key);
      assert.ok(operation !== undefined, `${key} is in the document`);
      assert.deepEqual(operation.security, [], `${key} needs no API key`);
    }
    const metrics = operations.get("GET /metrics")?.responses?.["200"]?.content ?? {};
    assert.ok(
      Object.keys(metrics).some((type) => type.startsWith("text/plain")),
      "text exposition format",
    );
    assert.match(operations.get("GET /metrics")?.description ?? "", /prom-client/);
    // Apps redeem provisioning links with Accept: application/json, so the link is an API.
    for (const key of ["GET /provision/{token}", "POST /provision/{token}"])
      assert.deepEqual(operations.get(key)?.security, [], key);
    // The recovery form is for people only: no program calls it, so it is not in the reference.
    assert.ok(!("/password-recovery" in doc.paths));
    assert.deepEqual(operations.get("GET /v1/users")?.security, [{ tenantApiKey: ["users"] }]);
  });

  test("the recording remembers the method, path and status that answered each code", async () => {
    const dir = process.env.TESSERA_CODE_COVERAGE_DIR;
    assert.ok(dir, "npm test sets TESSERA_CODE_COVERAGE_DIR");
    const scenario = `openapi: recorded route ${process.pid}`;
    await s.api("GET", "/v1/users/nobody?x=1", { scenario });
    const seen = readObservations(dir).filter((o) => o.source === scenario);
    assert.deepEqual(
      seen.map((o) => [o.value, o.request]),
      [[9000, { method: "GET", path: "/v1/users/nobody", status: 401 }]],
    );
  });

  test("the documented-codes gate names each observed (route, status, code) the document lacks", () => {
    const seen = (method: string, path: string, status: number, value: number): Observation => ({
      catalog: "api",
      value,
      source: `test ${method} ${path}`,
      request: { method, path, status },
    });
    const documented = [
      seen("GET", "/v1/users/alice", 404, 9090),
      seen("POST", "/v1/users", 201, 0),
      seen("POST", "/v1/users/import", 200, 0),
      seen("GET", "/v1/nothing-here", 404, 9903),
      seen("POST", "/provision/p_abc", 201, 9045),
    ];
    assert.deepEqual(documentedCodesGate(documented, doc), []);
    assert.deepEqual(
      documentedCodesGate(
        [
          seen("GET", "/v1/users/alice", 401, 9106),
          seen("POST", "/v1/users/import", 409, 9055),
          seen("GET", "/v1/users/alice", 400, 9090),
          seen("GET", "/v1/nothing-here", 401, 9000),
        ],
        doc,
      ),
      [
        "GET /v1/users/{username} answered 401 SessionTokenInvalid (9106), which /openapi.json does not document for it: add it to the operation's entry in its domain's *-operations.ts (seen in: test GET /v1/users/alice)",
        "POST /v1/users/import answered 409 EnrollPartnerUserFailed (9055), which /openapi.json does not document for it: add it to the operation's entry in its domain's *-operations.ts (seen in: test POST /v1/users/import)",
        "GET /v1/users/{username} answered InvalidPartnerUserLogin (9090) with HTTP 400, but /openapi.json documents it under 404 (seen in: test GET /v1/users/alice)",
        "GET /v1/nothing-here answered 401 PartnerLoginFailed (9000), but no operation of /openapi.json matches that path (seen in: test GET /v1/nothing-here)",
      ],
    );
  });
  test("the Deprecation and Link headers are documented on the successes of operations that send them, and only there", () => {
    const headersOf = (path: string, method: string) =>
      Object.entries(doc.paths[path]?.[method]?.responses ?? {})
        .filter(([status]) => status.startsWith("2"))
        .map(([, response]) => Object.keys((response as { headers?: object }).headers ?? {}).sort());
    // fields.username (free-form input), the `user` filter, an epoch time input.
    for (const [path, method] of [
      ["/v1/link/credentials", "post"],
      ["/v1/link/accounts", "get"],
      ["/v1/audit", "get"],
    ] as const) {
      const found = headersOf(path, method);
      assert.ok(found.length > 0, `${method} ${path}`);
      for (const names of found) assert.deepEqual(names, ["deprecation", "link"], `${method} ${path}`);
    }
    assert.deepEqual(headersOf("/v1/link/sites/{id}", "delete").flat(), []);
  });

  test("the credential example uses the Sandbox Bank's password", () => {
    const media = doc.paths["/v1/link/credentials"]?.post?.requestBody?.content?.["application/json"];
    const example = Object.values(media?.examples ?? {})[0]?.value as { fields?: { password?: string } };
    assert.equal(example?.fields?.password, "sandbox");
  });
});
