import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { runServer } from "../src/app/run-server.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { idempotencyRowId, requestFingerprint } from "../src/idempotency/idempotency.ts";
import { type Database, openDatabase } from "../src/storage/database.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { until } from "./helpers/link.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

for (const backend of backends) {
  suite(`Idempotency-Key (${backend})`, () => {
    let s: TestServer;
    let smtp: SmtpSink;
    before(async () => {
      smtp = await startSmtpSink();
      s = await startTestServer(backend, { flags: smtpFlags(smtp) });
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });
    const withKey = (key: string) => ({ "idempotency-key": key });

    test("a retry with the same key and request gets the first answer again, and nothing is done twice", async () => {
      const { apiKey } = await s.tenant();
      const first = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "ida" },
        headers: withKey("create-ida-1"),
        scenario: "idempotency: first",
      });
      const again = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "ida" },
        headers: withKey("create-ida-1"),
        scenario: "idempotency: replay",
      });
      assert.equal(first.status, 201);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(again.body, first.body);
      const without = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "ida" },
        scenario: "idempotency: no key",
      });
      assert.equal(without.status, 409, "without the key, the second create is a conflict");
    });

    test("the same key with a different request is IdempotencyKeyReused; keys are per tenant", async () => {
      const a = await s.tenant();
      const b = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey: a.apiKey,
        body: { username: "jon" },
        headers: withKey("k-1"),
        scenario: "idempotency: first",
      });
      const reused = await s.api("POST", "/v1/users", {
        apiKey: a.apiKey,
        body: { username: "joe" },
        headers: withKey("k-1"),
        scenario: "idempotency: reused",
      });
      assert.equal(reused.status, 422);
      assert.equal(reused.body.errorCode, TesseraApiCode.IdempotencyKeyReused);
      assert.equal(reused.body.field, "headers.idempotency-key");
      const other = await s.api("POST", "/v1/users", {
        apiKey: b.apiKey,
        body: { username: "joe" },
        headers: withKey("k-1"),
        scenario: "idempotency: other tenant",
      });
      assert.equal(other.status, 201);
      assert.equal(other.headers.get("idempotent-replayed"), null);
    });

    test("a replayed session token is stored encrypted, never in clear", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", { apiKey, body: { username: "kai" }, scenario: "idempotency: setup" });
      const body = { username: "kai", durationMinutes: 5, type: "web" };
      const first = await s.api("POST", "/v1/sessions", {
        apiKey,
        body,
        headers: withKey("session-kai"),
        scenario: "idempotency: session",
      });
      const again = await s.api("POST", "/v1/sessions", {
        apiKey,
        body,
        headers: withKey("session-kai"),
        scenario: "idempotency: session replay",
      });
      assert.equal(again.body.sessionToken, first.body.sessionToken);
      const rows = await s.server.ctx.database.db
        .selectFrom("idempotency_keys")
        .select("response_enc")
        .execute();
      assert.ok(rows.length > 0);
      for (const row of rows) {
        assert.match(row.response_enc ?? "", /^v1:/);
        assert.ok(!(row.response_enc ?? "").includes(String(first.body.sessionToken)));
      }
    });

    test("concurrent requests with one key create one user", async () => {
      const { apiKey } = await s.tenant();
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          s.api("POST", "/v1/users", {
            apiKey,
            body: { username: "lea" },
            headers: withKey("lea"),
            scenario: "idempotency: concurrent",
          }),
        ),
      );
      const created = results.filter(
        (r) => r.status === 201 && r.headers.get("idempotent-replayed") === null,
      );
      assert.equal(created.length, 1);
      for (const r of results)
        assert.ok(
          r.status === 201 || r.body.errorCode === TesseraApiCode.IdempotencyKeyReused,
          `${r.status} ${r.body.errorName}`,
        );
      const list = await s.api("GET", "/v1/users?query=lea", { apiKey, scenario: "idempotency: list" });
      assert.equal((list.body.users as unknown[]).length, 1);
    });

    test("a server-side failure releases the key, so the same request can be retried", async () => {
      const { apiKey } = await s.tenant();
      const body = { username: "max", email: "max@refused.test", sendEnrolmentEmail: true };
      const first = await s.api("POST", "/v1/users", {
        apiKey,
        body,
        headers: withKey("max"),
        scenario: "idempotency: failed first",
      });
      assert.equal(first.status, 502);
      const retry = await s.api("POST", "/v1/users", {
        apiKey,
        body,
        headers: withKey("max"),
        scenario: "idempotency: retry after failure",
      });
      assert.equal(retry.status, 502);
      assert.equal(retry.headers.get("idempotent-replayed"), null, "retried, not replayed");
    });

    test("keys expire after 24 hours; malformed keys are refused", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "ned" },
        headers: withKey("daily"),
        scenario: "idempotency: first",
      });
      s.clock.advance(24 * 3600_000);
      const later = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "noa" },
        headers: withKey("daily"),
        scenario: "idempotency: after expiry",
      });
      assert.equal(later.status, 201);
      for (const key of ["x".repeat(256), "with space"]) {
        const bad = await s.api("POST", "/v1/users", {
          apiKey,
          body: { username: "oli" },
          headers: withKey(key),
          scenario: "idempotency: malformed key",
        });
        assert.equal(bad.body.errorCode, TesseraApiCode.MalformedRequest, key);
        assert.equal(bad.body.field, "headers.idempotency-key");
      }
    });

    /** A claim whose request never answered, as a process killed mid-request leaves it. */
    const abandonedClaim = async (tenantId: string, key: string, path: string, body: unknown) => {
      await s.server.ctx.database.db
        .insertInto("idempotency_keys")
        .values({
          id: idempotencyRowId(tenantId, key),
          tenant_id: tenantId,
          request_hash: requestFingerprint("POST", path, body),
          status_code: 0,
          response_enc: null,
          created_at: s.clock.now(),
          claim_id: "claim-of-a-dead-process",
          lease_until: s.clock.now() + leaseMs(),
        })
        .execute();
    };
    const leaseMs = () => s.server.ctx.config.idempotency.leaseSeconds * 1000;

    test("a claim left by a crashed request is in progress until a lease of grace after its lease, then retaken", async () => {
      const { tenant, apiKey } = await s.tenant();
      const body = { username: "pia" };
      await abandonedClaim(tenant.id, "crashed", "/v1/users", body);
      s.clock.advance(2 * leaseMs() - 1);
      const during = await s.api("POST", "/v1/users", {
        apiKey,
        body,
        headers: withKey("crashed"),
        scenario: "idempotency: claim within its lease",
      });
      assert.equal(during.body.errorCode, TesseraApiCode.IdempotencyKeyReused);
      assert.match(String(during.body.errorMessage), /still being answered/);
      s.clock.advance(1);
      const after = await s.api("POST", "/v1/users", {
        apiKey,
        body,
        headers: withKey("crashed"),
        scenario: "idempotency: claim after its lease",
      });
      assert.equal(after.status, 201, JSON.stringify(after.body));
      assert.equal(after.headers.get("idempotent-replayed"), null, "executed, not replayed");
      const replay = await s.api("POST", "/v1/users", {
        apiKey,
        body,
        headers: withKey("crashed"),
        scenario: "idempotency: replay after retake",
      });
      assert.equal(replay.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(replay.body, after.body);
      const other = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "pim" },
        headers: withKey("crashed"),
        scenario: "idempotency: reused after retake",
      });
      assert.equal(
        other.body.errorCode,
        TesseraApiCode.IdempotencyKeyReused,
        "a lapsed lease is no licence to reuse a key",
      );
    });

    test("a request that runs longer than its lease keeps its claim: a retry is in progress, then gets the first answer", async () => {
      // A server of its own with the shortest lease (10 s): the owner renews every third of it in
      // real time, and the test waits for two renewals rather than 40 s. The mail timeout is
      // longer than the tests' 5 s, so the held message outlasts the renewals.
      const slowServer = await startTestServer(s.backend, {
        flags: { ...smtpFlags(smtp), "smtp.timeoutMs": 30_000, "idempotency.leaseSeconds": 10 },
      });
      try {
        const { tenant, apiKey } = await slowServer.tenant();
        const lease = slowServer.server.ctx.config.idempotency.leaseSeconds * 1000;
        const body = { username: "rae", email: "rae@example.test", sendEnrolmentEmail: true };
        const call = (scenario: string) =>
          slowServer.api("POST", "/v1/users", { apiKey, body, headers: withKey("slow"), scenario });
        const row = () =>
          slowServer.server.ctx.database.db
            .selectFrom("idempotency_keys")
            .selectAll()
            .where("id", "=", idempotencyRowId(tenant.id, "slow"))
            .executeTakeFirstOrThrow();
        // The first request holds its claim while the mail server sits on its message.
        const gate = smtp.hold();
        const slow = call("idempotency: slow first");
        await gate.arrived;
        // Twice the lease passes while it runs; the owner renews its lease each time.
        for (let round = 0; round < 2; round += 1) {
          slowServer.clock.advance(lease);
          await until(
            async () => (await row()).lease_until > slowServer.clock.now(),
            "the running request renews its lease",
          );
        }
        const retries = await Promise.all(
          Array.from({ length: 6 }, () => call("idempotency: retry while a slow request runs")),
        );
        for (const retry of retries) {
          assert.equal(retry.body.errorCode, TesseraApiCode.IdempotencyKeyReused, JSON.stringify(retry.body));
          assert.match(String(retry.body.errorMessage), /still being answered/);
        }
        gate.release();
        const first = await slow;
        assert.equal(first.status, 201, JSON.stringify(first.body));
        const replay = await call("idempotency: replay after a slow request");
        assert.equal(replay.headers.get("idempotent-replayed"), "true");
        assert.deepEqual(replay.body, first.body, "the key answers what the request that ran answered");
        assert.equal(smtp.to("rae@example.test").length, 1, "the request ran once");
        // Answered: a lapsed lease no longer matters.
        slowServer.clock.advance(lease);
        const late = await call("idempotency: replay after the lease");
        assert.equal(late.headers.get("idempotent-replayed"), "true");
      } finally {
        await slowServer.close();
      }
    });

    test("a claim taken over from an owner that stopped renewing: the owner's late answer never overwrites it", async () => {
      const { apiKey } = await s.tenant();
      const body = { username: "ray", email: "ray@example.test", sendEnrolmentEmail: true };
      const call = (scenario: string) =>
        s.api("POST", "/v1/users", { apiKey, body, headers: withKey("stalled"), scenario });
      // The first request holds its claim while the mail server sits on its message; the clock
      // jumps two leases (the lease and its grace) before its first renewal (every 20 s of real time) could run, as if its
      // process had stalled: the claim ids, not the claim times, decide whose answer is stored.
      const gate = smtp.hold();
      const slow = call("idempotency: slow first");
      await gate.arrived;
      s.clock.advance(2 * leaseMs());
      const takeover = await call("idempotency: takeover of a lapsed lease");
      assert.equal(takeover.headers.get("idempotent-replayed"), null, "executed, not replayed");
      assert.notEqual(takeover.status, 201, "the user exists already");
      gate.release();
      assert.equal((await slow).status, 201);
      const replay = await call("idempotency: replay after takeover");
      assert.equal(replay.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(replay.body, takeover.body, "the key answers what its current claim answered");
    });

    test("a 'retry later' answer (429 with Retry-After) is not stored: the same key is evaluated afresh after the wait", async () => {
      // Its own server with one recovery per username and hour, so that the second is refused.
      const limited = await startTestServer(backend, { flags: { "recovery.maxPerHour": 1 } });
      try {
        const { apiKey } = await limited.tenant();
        const call = (key: string, scenario: string) =>
          limited.api("POST", "/v1/password-recovery", {
            apiKey,
            body: { username: "whoever" },
            headers: withKey(key),
            scenario,
          });
        assert.equal((await call("first", "idempotency: recovery allowed")).status, 200);
        const refused = await call("second", "idempotency: recovery rate limited");
        assert.equal(refused.status, 429);
        assert.ok(Number(refused.headers.get("retry-after")) > 0);
        limited.clock.advance(2 * 3600_000);
        const retried = await call("second", "idempotency: same key after the wait");
        assert.equal(retried.status, 200, JSON.stringify(retried.body));
        assert.equal(retried.headers.get("idempotent-replayed"), null, "evaluated, not replayed");
      } finally {
        await limited.close();
      }
    });

    test("a server whose clock runs a whole lease ahead does not take over a live claim", async () => {
      const { apiKey } = await s.tenant();
      const body = { username: "skew", email: "skew@example.test", sendEnrolmentEmail: true };
      // A second server on the same database whose clock runs one lease ahead of the owner's, before
      // the owner's first renewal: without the grace, two thirds of a lease of skew took the claim.
      const ahead = await runServer(s.server.ctx.config, {
        clock: new ManualClock(s.clock.now() + leaseMs()),
        logger: false,
      });
      try {
        const gate = smtp.hold();
        const first = s.api("POST", "/v1/users", {
          apiKey,
          body,
          headers: withKey("skew"),
          scenario: "idempotency: owner of a claim",
        });
        await gate.arrived;
        const retry = await apiRequest(`${ahead.url}/v1/users`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            ...withKey("skew"),
          },
          body: JSON.stringify(body),
          scenario: "idempotency: retry on a server whose clock runs ahead",
        });
        assert.equal(retry.body.errorCode, TesseraApiCode.IdempotencyKeyReused, JSON.stringify(retry.body));
        assert.match(String(retry.body.errorMessage), /still being answered/);
        gate.release();
        assert.equal((await first).status, 201);
      } finally {
        await ahead.close();
      }
    });

    test("a burst on a claim whose lease lapsed: exactly one request executes", async () => {
      const { tenant, apiKey } = await s.tenant();
      const body = { username: "quinn" };
      await abandonedClaim(tenant.id, "burst", "/v1/users", body);
      s.clock.advance(2 * leaseMs());
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          s.api("POST", "/v1/users", {
            apiKey,
            body,
            headers: withKey("burst"),
            scenario: "idempotency: burst after lease",
          }),
        ),
      );
      const executed = results.filter(
        (r) => r.status === 201 && r.headers.get("idempotent-replayed") === null,
      );
      assert.equal(executed.length, 1, results.map((r) => `${r.status} ${r.body.errorName}`).join(", "));
      for (const r of results)
        assert.ok(
          r.status === 201 || r.body.errorCode === TesseraApiCode.IdempotencyKeyReused,
          `${r.status} ${r.body.errorName}`,
        );
    });
  });
}

/** The lease is read from the shared database, so it holds across processes. */
suite("Idempotency-Key leases on two server processes sharing PostgreSQL", () => {
  let database: TestDatabase;
  let direct: Database;
  let servers: ServerProcess[] = [];
  let tenantId = "";
  let apiKey = "";
  before(async () => {
    database = await createTestDatabase("postgres");
    const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
    const created = await runCli([...data, "tenant", "create", "leases", "--json"], {
      env: { TESSERA_LOG_LEVEL: "silent" },
      scenario: "idempotency processes: setup",
    });
    ({ apiKey } = JSON.parse(created.stdout) as { apiKey: string });
    tenantId = (JSON.parse(created.stdout) as { tenant: { id: string } }).tenant.id;
    servers = [await startServerProcess(data), await startServerProcess(data)];
    direct = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
  });
  after(async () => {
    for (const server of servers) await server.stop("SIGKILL");
    await direct.close();
    await database.drop();
  });

  test("a burst over both processes on a claim whose lease lapsed: exactly one request executes", async () => {
    const body = { username: "sam" };
    // A claim a killed process left behind, older than the default lease (real clocks here).
    await direct.db
      .insertInto("idempotency_keys")
      .values({
        id: idempotencyRowId(tenantId, "orphan"),
        tenant_id: tenantId,
        request_hash: requestFingerprint("POST", "/v1/users", body),
        status_code: 0,
        response_enc: null,
        created_at: Date.now() - 121_000,
        claim_id: "claim-of-a-killed-process",
        // Lapsed more than a lease of grace ago.
        lease_until: Date.now() - 61_000,
      })
      .execute();
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        apiRequest(`${(servers[i % 2] as ServerProcess).url}/v1/users`, {
          method: "POST",
          scenario: "idempotency processes: burst after lease",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            "idempotency-key": "orphan",
          },
          body: JSON.stringify(body),
        }),
      ),
    );
    const executed = results.filter((r) => r.status === 201 && r.headers.get("idempotent-replayed") === null);
    assert.equal(executed.length, 1, results.map((r) => `${r.status} ${r.body.errorName}`).join(", "));
    for (const r of results)
      assert.ok(
        r.status === 201 || r.body.errorCode === TesseraApiCode.IdempotencyKeyReused,
        `${r.status} ${r.body.errorName}`,
      );
  });
});

test("the lease is 60 s by default, and only whole seconds from 10 to 3600 are accepted", () => {
  assert.equal(loadConfig({ env: {} }).idempotency.leaseSeconds, 60);
  assert.equal(
    loadConfig({ env: { TESSERA_IDEMPOTENCY_LEASE_SECONDS: "3600" } }).idempotency.leaseSeconds,
    3600,
  );
  for (const value of [
    "9",
    "3601",
    "0",
    "-60",
    "1.5",
    String(2 ** 31),
    String(2 ** 53 + 2),
    "x".repeat(10_000),
  ]) {
    assert.throws(
      () => loadConfig({ env: { TESSERA_IDEMPOTENCY_LEASE_SECONDS: value } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /idempotency\.leaseSeconds \(TESSERA_IDEMPOTENCY_LEASE_SECONDS\) must be an integer from 10 to 3600/.test(
          error.message,
        ),
      value.slice(0, 20),
    );
  }
});
