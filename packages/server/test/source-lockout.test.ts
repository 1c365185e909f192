import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import type { ApiResponse } from "./helpers/api-client.ts";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** The production defaults (config/settings.ts apiKeys.*); this suite does not change them. */
const FAILURE_LIMIT = 20;
const LOCKOUT_SECONDS = 300;

/** A well-formed key whose id exists nowhere, and one with the right id but the wrong secret. */
const unknownKey = (i: number) => `tsk_${String(i).padStart(16, "0")}_${"A".repeat(43)}`;
const wrongSecret = (apiKey: string) => `${apiKey.slice(0, 21)}${"B".repeat(43)}`;

for (const backend of backends) {
  // A server per test: the lockout holds for the loopback address every test request comes from.
  suite(`API-key source lockout (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());
    const cli = (args: readonly string[], scenario: string) => {
      const { dataDir, databaseUrl } = s.server.ctx.config;
      const data = [
        "--data-dir",
        dataDir,
        ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
      ];
      return runCli([...data, ...args], { env: { TESSERA_LOG_LEVEL: "silent" }, scenario });
    };
    const lockSource = async () => {
      for (let i = 0; i < FAILURE_LIMIT; i += 1) {
        const r = await s.api("GET", "/v1/tenant", {
          apiKey: `bad-${i}`,
          scenario: "source lockout: bad key",
        });
        assert.equal(r.status, 401);
        assert.equal(r.body.errorCode, ApiReturnCode.PartnerLoginFailed);
        assert.equal(r.headers.get("retry-after"), null);
      }
    };

    test("a locked-out source still serves a valid key; bad keys are told when to retry", async () => {
      const { apiKey } = await s.tenant();
      await lockSource();
      const until = new Date(s.clock.now() + LOCKOUT_SECONDS * 1000).toISOString();
      for (const bad of [unknownKey(1), wrongSecret(apiKey), "not-a-key", "x".repeat(5000)]) {
        const locked = await s.api("GET", "/v1/tenant", { apiKey: bad, scenario: "source lockout: locked" });
        assert.equal(locked.status, 429);
        assert.equal(locked.body.errorCode, ApiReturnCode.MaximumLoginPartnerAttempsExceeded);
        assert.equal(locked.body.field, "headers.authorization");
        assert.equal(locked.headers.get("retry-after"), String(LOCKOUT_SECONDS));
        assert.equal(locked.body.lockedUntil, until);
      }
      const valid = await s.api("GET", "/v1/tenant", {
        apiKey,
        scenario: "source lockout: valid key served",
      });
      assert.equal(valid.status, 200);
      s.clock.advance(LOCKOUT_SECONDS * 1000 - 1);
      const last = await s.api("GET", "/v1/tenant", { apiKey: "bad", scenario: "source lockout: locked" });
      assert.equal(last.headers.get("retry-after"), "1");
      assert.equal(last.body.lockedUntil, until);
      s.clock.advance(1);
      const over = await s.api("GET", "/v1/tenant", { apiKey: "bad", scenario: "source lockout: over" });
      assert.equal(over.status, 401);
    });

    test("a burst of bad keys: at most the limit is evaluated, the valid key is served throughout", async () => {
      s.clock.advance(3_600_000);
      const { apiKey } = await s.tenant();
      const results = await Promise.all(
        Array.from({ length: 90 }, (_, i) =>
          s
            .api("GET", "/v1/tenant", {
              apiKey: i % 3 === 0 ? apiKey : i % 3 === 1 ? unknownKey(i) : wrongSecret(apiKey),
              scenario: "source lockout: burst",
            })
            .then((r): [number, ApiResponse] => [i, r]),
        ),
      );
      const valid = results.filter(([i]) => i % 3 === 0).map(([, r]) => r);
      const bad = results.filter(([i]) => i % 3 !== 0).map(([, r]) => r);
      for (const r of valid) assert.equal(r.status, 200, JSON.stringify(r.body));
      const evaluated = bad.filter((r) => r.status === 401);
      assert.equal(evaluated.length, FAILURE_LIMIT);
      for (const r of bad.filter((x) => x.status !== 401)) {
        assert.equal(r.status, 429);
        assert.ok(Number(r.headers.get("retry-after")) > 0);
      }
    });

    test("tessera tenant unlock-source clears the lock at once, audited; a bad address is refused", async () => {
      s.clock.advance(3_600_000);
      await lockSource();
      assert.equal(
        (await s.api("GET", "/v1/tenant", { apiKey: "bad", scenario: "source lockout: locked" })).status,
        429,
      );
      const r = await cli(["tenant", "unlock-source", "127.0.0.1"], "cli: tenant unlock-source");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /127\.0\.0\.1/);
      const after = await s.api("GET", "/v1/tenant", { apiKey: "bad", scenario: "source lockout: unlocked" });
      assert.equal(after.status, 401);
      const events = await s.server.ctx.database.db
        .selectFrom("audit_events")
        .select(["operation", "subject", "result_code", "actor"])
        .where("operation", "=", "source.unlock")
        .execute();
      assert.deepEqual(
        events.map((e) => [e.subject, Number(e.result_code)]),
        [["source:127.0.0.1", 0]],
      );
      assert.match(String(events[0]?.actor), /^cli:/);

      // Nothing was ever counted for this address (every test request comes from loopback).
      const again = await cli(
        ["tenant", "unlock-source", "198.51.100.7", "--json"],
        "cli: unlock-source none",
      );
      assert.equal(again.status, 1);
      assert.equal(JSON.parse(again.stdout).errorCode, TesseraApiCode.NotFound);
      const bad = await cli(["tenant", "unlock-source", "not-an-ip", "--json"], "cli: unlock-source bad");
      assert.equal(bad.status, 1);
      assert.equal(JSON.parse(bad.stdout).errorCode, TesseraApiCode.MalformedRequest);
    });
  });
}
