import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import pg from "pg";
import { apiRequest, assertOutcome } from "./helpers/api-client.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

for (const backend of backends) {
  suite(`operations (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    before(async () => {
      s = await startTestServer(backend);
      ({ apiKey } = await s.tenant());
    });
    after(() => s.close());

    test("readiness checks the database", async () => {
      const ready = await apiRequest(`${s.url}/ready`, { scenario: "ops: ready" });
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, "ready");
    });

    test("the OpenAPI 3.1 document describes the routes, and the reference page is served", async () => {
      const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      assert.equal(doc.openapi, "3.1.0");
      for (const path of [
        "/v1/users",
        "/v1/users/{username}",
        "/v1/sessions",
        "/v1/auth/password",
        "/v1/password-recovery",
      ]) {
        assert.ok(path in doc.paths, path);
      }
      const page = await fetch(`${s.url}/docs/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    });

    test("Prometheus metrics count requests by route pattern, never by raw URL", async () => {
      const token = (
        await s.api("POST", "/v1/sessions", {
          apiKey,
          body: { username: "nobody", durationMinutes: 1, type: "web" },
          scenario: "ops: setup",
        })
      ).body;
      assert.equal(token.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      await s.api("GET", "/v1/sessions/tss_secretsecretsecretsecretsecretsecretsecre", {
        apiKey,
        scenario: "ops: session check",
      });
      const text = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(
        text,
        /tessera_http_requests_total\{method="GET",route="\/v1\/sessions\/:token",status_code="401"\} \d+/,
      );
      assert.match(text, /tessera_http_request_duration_seconds_bucket/);
      assert.doesNotMatch(text, /secretsecret/);
    });

    test("wrong method is 405 with Allow; oversized, non-JSON and broken bodies are 4xx naming the body", async () => {
      const put = await s.api("PUT", "/v1/users/alice", { apiKey, body: {}, scenario: "ops: wrong method" });
      assert.equal(put.status, 405);
      assert.equal(put.body.errorCode, TesseraApiCode.MethodNotAllowed);
      assert.equal(put.headers.get("allow"), "GET, PATCH, DELETE");
      const big = await s.api("POST", "/v1/users", {
        apiKey,
        rawBody: JSON.stringify({ username: "x".repeat(70_000) }),
        headers: { "content-type": "application/json" },
        scenario: "ops: too large",
      });
      assert.equal(big.status, 413);
      assert.equal(big.body.errorCode, TesseraApiCode.PayloadTooLarge);
      const text = await s.api("POST", "/v1/users", {
        apiKey,
        rawBody: "username=alice",
        headers: { "content-type": "text/plain" },
        scenario: "ops: not JSON",
      });
      assert.equal(text.status, 415);
      assert.equal(text.body.errorCode, TesseraApiCode.UnsupportedMediaType);
      const broken = await s.api("POST", "/v1/users", {
        apiKey,
        rawBody: '{"username": "al',
        headers: { "content-type": "application/json" },
        scenario: "ops: broken JSON",
      });
      assert.equal(broken.status, 400);
      assert.equal(broken.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(broken.body.field, "body");
      const unknownField = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "al", isAdmin: true },
        scenario: "ops: unknown field",
      });
      assert.equal(unknownField.body.field, "body.isAdmin");
      assert.match(unknownField.body.errorMessage, /not a known field/);
    });

    test("while draining for shutdown, readiness is false but requests are still served", async () => {
      s.server.ctx.lifecycle.draining = true;
      try {
        const ready = await apiRequest(`${s.url}/ready`, { scenario: "ops: draining" });
        assert.equal(ready.status, 503);
        assert.equal(ready.body.errorCode, TesseraApiCode.ServiceUnavailable);
        assert.equal(
          (await s.api("GET", "/v1/tenant", { apiKey, scenario: "ops: served while draining" })).status,
          200,
        );
      } finally {
        s.server.ctx.lifecycle.draining = false;
      }
    });
  });
}

suite("graceful shutdown", () => {
  let smtp: SmtpSink;
  before(async () => {
    smtp = await startSmtpSink();
  });
  after(() => smtp.close());

  test("an in-flight request finishes, new connections are refused, then the server closes", async () => {
    const s = await startTestServer("sqlite", { flags: smtpFlags(smtp) });
    const { apiKey } = await s.tenant();
    await s.api("POST", "/v1/users", {
      apiKey,
      body: { username: "vic", email: "vic@mail.test" },
      scenario: "shutdown: setup",
    });
    const held = smtp.hold();
    // An administrator's password reset answers after its notification e-mail, which the sink holds.
    const inFlight = s.api("POST", "/v1/users/vic/password", {
      apiKey,
      body: { newPassword: "a brand new password" },
      scenario: "shutdown: in-flight request",
    });
    await held.arrived;
    let closed = false;
    const closing = s.server.close().then(() => {
      closed = true;
    });
    await assert.rejects(fetch(`${s.url}/health`), "a new connection is refused while closing");
    assert.equal(closed, false, "close waits for the in-flight request");
    held.release();
    const response = await inFlight;
    assert.equal(response.status, 200);
    assertOutcome(response, ApiReturnCode.PartnerUserChangedPassword);
    await closing;
    assert.equal(closed, true);
    await s.close().catch(() => {});
  });
});

suite("database failure (postgres)", () => {
  test("a lost database answers DatabaseError (503), never a stack trace", async () => {
    const s = await startTestServer("postgres");
    const { apiKey } = await s.tenant();
    const url = new URL(s.server.ctx.config.databaseUrl ?? "");
    const name = url.pathname.slice(1);
    url.pathname = "/postgres";
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
    const r = await s.api("GET", "/v1/users/alice", { apiKey, scenario: "ops: database lost" });
    assert.equal(r.status, 503);
    assert.equal(r.body.errorCode, ApiReturnCode.DatabaseError);
    const ready = await apiRequest(`${s.url}/ready`, { scenario: "ops: ready without database" });
    assert.equal(ready.status, 503);
    assert.equal(ready.body.errorCode, ApiReturnCode.DatabaseError);
    await s.close().catch(() => {});
  });
});
