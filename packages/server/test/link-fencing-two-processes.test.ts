import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { systemClock } from "../src/clock/clock.ts";
import { startSandboxBank } from "../src/link/sandbox-bank/sandbox-bank.ts";
import type { Schema } from "../src/storage/schema.ts";
import { keyedClient } from "./helpers/api-client.ts";
import { holdingRelay } from "./helpers/holding-relay.ts";
import { jobWrites } from "./helpers/job-writes.ts";
import { codes, endsWith, timelineAt, until, waitFor } from "./helpers/link.ts";
import { startProcessPair } from "./helpers/process-pair.ts";

/**
 * The test of "a job never runs twice" (job-machine.md, "Fencing"), with two real
 * `tessera start` processes on one PostgreSQL: the process running a job is paused (SIGSTOP)
 * inside a site request past its lease, the other process takes the job over and finishes it,
 * and the paused one, resumed, writes nothing and sends the site nothing more.
 */
test("a worker paused past its lease: the other process finishes the job; resumed, the paused one writes nothing and sends the site nothing", async () => {
  const scenario = "link: paused worker";
  // On the real clock, like the server processes: the history they ask for is the bank's.
  const sandbox = await startSandboxBank(systemClock);
  // Holds the first transaction list's answer: the runner that asked is inside a site request,
  // on demand. Every later request (the other process's) goes straight through.
  const relay = await holdingRelay(sandbox.url);
  const pair = await startProcessPair("fenced", scenario, {
    TESSERA_LINK_SANDBOX: "on",
    TESSERA_LINK_SANDBOX_URL: relay.url,
    TESSERA_LINK_POLL_INTERVAL_MS: "50",
    // The shortest lease (production: 60 s), so that the paused process's lease lapses in seconds
    // and the test does not pause it for a minute. The connector timeout stays at its production
    // 30 s, well beyond the pause: it is the lease, not the timeout, that must stop the run.
    TESSERA_LINK_LEASE_SECONDS: "5",
  });
  const db = new Kysely<Schema>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: pair.database.databaseUrl }) }),
  });
  try {
    const call = keyedClient(pair.a.url, pair.apiKey);
    await call("POST", "/v1/users", scenario, { username: "paula" });
    const connected = await call("POST", "/v1/link/credentials", scenario, {
      username: "paula",
      site: "sandbox-bank",
      fields: { username: "user_good", password: "sandbox" },
    });
    assert.equal(connected.status, 201, JSON.stringify(connected.body));
    const jobId = (connected.body.job as { id: string }).id;
    await relay.held;

    // Whichever process claimed the job is the one to pause: its pid is in the lease owner.
    const first = await db
      .selectFrom("link_jobs")
      .selectAll()
      .where("id", "=", jobId)
      .executeTakeFirstOrThrow();
    const pid = Number(first.lease_owner?.split(":").at(-2));
    const [paused, other] = pid === pair.a.child.pid ? [pair.a, pair.b] : [pair.b, pair.a];
    assert.equal(paused.child.pid, pid, "the job runs in one of the two processes");
    paused.child.kill("SIGSTOP");

    const entries = await waitFor(
      timelineAt(other.url, pair.apiKey),
      jobId,
      scenario,
      endsWith(S.Finish),
      30_000,
    );
    const taken = await db
      .selectFrom("link_jobs")
      .selectAll()
      .where("id", "=", jobId)
      .executeTakeFirstOrThrow();
    assert.equal(taken.lease_epoch, first.lease_epoch + 1, "the other process claimed it once");
    assert.equal(taken.attempt, 2, "the takeover counts as an attempt");
    const before = await jobWrites(db);
    const sent = relay.requests();

    paused.child.kill("SIGCONT");
    await until(
      () => paused.logs.some((l) => l.msg === "sync job stopped: its lease was lost" && l.jobId === jobId),
      "the resumed process to stop its run",
      15_000,
    );
    assert.ok(relay.abandoned(), "the resumed run aborted its request in flight");
    assert.equal(relay.requests(), sent, "no further site request from the resumed process");
    assert.deepEqual(await jobWrites(db), before, "the resumed process wrote nothing");
    const after = await timelineAt(paused.url, pair.apiKey)(jobId, scenario);
    assert.deepEqual(codes(after), codes(entries), "the timeline ends with the other process's outcome");
    assert.deepEqual(codes(after), [S.Register, S.Starting, S.Running, S.Finish], "no entry twice");
  } finally {
    pair.a.child.kill("SIGCONT");
    pair.b.child.kill("SIGCONT");
    await db.destroy();
    await pair.close();
    relay.close();
    await sandbox.close();
  }
});
