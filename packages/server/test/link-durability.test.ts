import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import { runServer } from "../src/app/run-server.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { createApiKey } from "../src/tenants/api-keys.ts";
import { createTenant } from "../src/tenants/tenant-store.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { codes, endsWith, lastCode, linkFlags, timelineAt, waitFor } from "./helpers/link.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";
import { testConfig } from "./helpers/test-server.ts";

/**
 * Jobs live in the database, not in a process: a restart, a killed process or a second process
 * must not lose, duplicate or strand one.
 */
const client = keyedClient;

for (const backend of backends) {
  test(`a job waiting for a token survives a restart and any process finishes it (${backend})`, async () => {
    const database = await createTestDatabase(backend);
    const clock = new ManualClock();
    const config = testConfig(database, linkFlags);
    const scenario = "link: restart while waiting";
    let first = await runServer(config, { clock, logger: false });
    try {
      const tenant = await createTenant(first.ctx.database.db, "restart", clock.now());
      const { apiKey } = await createApiKey(first.ctx.database.db, tenant.id, "test", ["admin"], clock.now());
      let call = client(first.url, apiKey);
      await call("POST", "/v1/users", scenario, { username: "rita" });
      const connected = await call("POST", "/v1/link/credentials", scenario, {
        username: "rita",
        site: "sandbox-bank",
        fields: { login: "user_token", password: "sandbox" },
      });
      const jobId = (connected.body.job as { id: string }).id;
      await waitFor(timelineAt(first.url, apiKey), jobId, scenario, endsWith(S.Waiting));
      assert.equal(first.ctx.link.runningJobs, 0, "a waiting job holds no worker");
      const stored = await first.ctx.database.db
        .selectFrom("link_jobs")
        .selectAll()
        .where("id", "=", jobId)
        .executeTakeFirstOrThrow();
      assert.equal(stored.phase, "waiting");
      assert.ok(stored.session_enc?.startsWith("v1:"), "the site session is stored encrypted");
      assert.doesNotMatch(stored.session_enc ?? "", /sb_session/);
      await first.close();

      first = await runServer(config, { clock, logger: false });
      call = client(first.url, apiKey);
      const answered = await call("POST", `/v1/link/jobs/${jobId}/twofa`, scenario, {
        twofa: { token: "123456" },
      });
      assert.equal(answered.status, 202);
      const entries = await waitFor(timelineAt(first.url, apiKey), jobId, scenario, endsWith(S.Finish));
      assert.deepEqual(codes(entries), [
        S.Register,
        S.Starting,
        S.Waiting,
        S.TokenReceived,
        S.Running,
        S.Finish,
      ]);
      const ended = await first.ctx.database.db
        .selectFrom("link_jobs")
        .selectAll()
        .where("id", "=", jobId)
        .executeTakeFirstOrThrow();
      assert.equal(ended.session_enc, null, "an ended job keeps no session");
    } finally {
      await first.close();
      await database.drop();
    }
  });
}

test("a process killed mid-job: the next process takes the job over when its lease lapses and ends it clearly", async () => {
  const env = {
    TESSERA_LINK_SANDBOX: "on",
    TESSERA_LINK_POLL_INTERVAL_MS: "50",
    TESSERA_LINK_LEASE_SECONDS: "5",
    TESSERA_LINK_CONNECTOR_TIMEOUT_MS: "4000",
    TESSERA_LINK_MAX_ATTEMPTS: "2",
  };
  const a = await startServerProcess([], env);
  let b: ServerProcess | undefined;
  const scenario = "link: killed mid-job";
  try {
    const data = ["--data-dir", a.dataDir];
    const created = await runCli([...data, "tenant", "create", "crash", "--json"], { scenario });
    const apiKey = JSON.parse(created.stdout).apiKey as string;
    const call = client(a.url, apiKey);
    await call("POST", "/v1/users", scenario, { username: "kim" });
    const connected = await call("POST", "/v1/link/credentials", scenario, {
      username: "kim",
      site: "sandbox-bank",
      fields: { login: "user_timeout", password: "sandbox" },
    });
    const jobId = (connected.body.job as { id: string }).id;
    // The site stalls: the job is inside a connector call when the process dies.
    await waitFor(timelineAt(a.url, apiKey), jobId, scenario, endsWith(S.Starting));
    await a.stop("SIGKILL");
    b = await startServerProcess(["--data-dir", a.dataDir], env);
    const entries = await waitFor(
      timelineAt(b.url, apiKey),
      jobId,
      scenario,
      endsWith(S.ConnectionTimeout),
      30_000,
    );
    assert.deepEqual(
      codes(entries),
      [S.Register, S.Starting, S.Starting, S.ConnectionTimeout],
      "taken over once (attempt 2 of 2), then ended with the site's real outcome",
    );
  } finally {
    await b?.stop("SIGKILL");
    await a.stop("SIGKILL");
  }
});

suite("two server processes on one PostgreSQL: one job per credential", () => {
  let database: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  const env = {
    TESSERA_LINK_SANDBOX: "on",
    TESSERA_LINK_POLL_INTERVAL_MS: "20",
    TESSERA_LINK_SYNC_COOLDOWN_SECONDS: "0",
  };
  before(async () => {
    database = await createTestDatabase("postgres");
    const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
    const created = await runCli([...data, "tenant", "create", "shared-link", "--json"], {
      scenario: "link: setup",
    });
    apiKey = JSON.parse(created.stdout).apiKey;
    a = await startServerProcess(data, env);
    b = await startServerProcess(data, env);
    await client(a.url, apiKey)("POST", "/v1/users", "link: setup", { username: "pat" });
  });
  after(async () => {
    await a.stop("SIGKILL");
    await b.stop("SIGKILL");
    await database.drop();
  });

  test("twenty concurrent sync requests over both processes start exactly one job", async () => {
    const scenario = "link: concurrent syncs";
    const connected = await client(a.url, apiKey)("POST", "/v1/link/credentials", scenario, {
      username: "pat",
      site: "sandbox-bank",
      fields: { login: "user_token", password: "sandbox" },
    });
    const credentialId = (connected.body.credential as { id: string }).id;
    const firstJob = (connected.body.job as { id: string }).id;
    await waitFor(timelineAt(b.url, apiKey), firstJob, scenario, endsWith(S.Waiting));
    // End the first job so that the credential is free, then race twenty requests for the next one.
    await client(b.url, apiKey)("POST", `/v1/link/jobs/${firstJob}/twofa`, scenario, {
      twofa: { token: "000000" },
    });
    await waitFor(timelineAt(a.url, apiKey), firstJob, scenario, endsWith(S.Invalidtoken));
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client(i % 2 === 0 ? a.url : b.url, apiKey)(
          "POST",
          `/v1/link/credentials/${credentialId}/sync`,
          scenario,
        ),
      ),
    );
    const started = responses.filter((r) => r.status === 201);
    assert.equal(started.length, 1, responses.map((r) => r.status).join(","));
    const jobId = (started[0]?.body.job as { id: string } | undefined)?.id;
    assert.ok(jobId);
    for (const r of responses.filter((x) => x.status !== 201)) {
      assert.equal(r.body.errorCode, TesseraApiCode.SyncInProgress);
      assert.equal((r.body.job as { id: string }).id, jobId, "everyone is pointed at the one job");
    }
    const entries = await waitFor(timelineAt(a.url, apiKey), jobId, scenario, endsWith(S.Waiting));
    assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Waiting], "run by one process only");
  });

  test("jobs queued on one process are each run once, by whichever worker claims them", async () => {
    const scenario = "link: shared workers";
    const logins = [
      "user_good",
      "user_no_transactions",
      "user_partial",
      "user_incomplete",
      "user_no_accounts",
      "user_pending",
    ];
    const jobs = await Promise.all(
      logins.map(async (login, i) => {
        const r = await client(i % 2 === 0 ? a.url : b.url, apiKey)(
          "POST",
          "/v1/link/credentials",
          scenario,
          {
            username: "pat",
            site: "sandbox-bank",
            fields: { login: login, password: "sandbox" },
          },
        );
        return (r.body.job as { id: string }).id;
      }),
    );
    for (const jobId of jobs) {
      const entries = await waitFor(timelineAt(b.url, apiKey), jobId, scenario, (e) => {
        const code = lastCode(e) ?? 0;
        return code >= 200 && code !== S.Pending;
      });
      assert.equal(
        entries.filter((e) => e.code === S.Starting).length,
        1,
        entries.map((e) => e.code).join(" → "),
      );
    }
  });
});
