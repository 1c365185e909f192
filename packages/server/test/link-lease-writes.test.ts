import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { sql } from "kysely";
import { ManualClock } from "../src/clock/clock.ts";
import { claimJob } from "../src/link/jobs/claim-job.ts";
import { finished, transition } from "../src/link/jobs/job-store.ts";
import { startSandboxBank } from "../src/link/sandbox-bank/sandbox-bank.ts";
import type { Database } from "../src/storage/database.ts";
import { holdingRelay } from "./helpers/holding-relay.ts";
import { codes, connect, endsWith, startLinkServer, timeline, until, waitFor } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * A runner whose process stalled past its lease (a long pause, a slow site) while another process
 * took the job over and ended it must not write anything when it wakes up: its statement may be
 * older than the one already stored, and the job is no longer its to change.
 */

/** Every account and transaction row, in a stable order. */
async function storedData(database: Database): Promise<string[]> {
  const rows: string[] = [];
  for (const table of ["link_accounts", "link_transactions"] as const) {
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(database.db);
    rows.push(...result.rows.map((row) => `${table} ${JSON.stringify(row)}`));
  }
  return rows.sort();
}

for (const backend of backends) {
  test(`a runner that lost its lease writes no accounts or transactions after the takeover (${backend})`, async () => {
    const sandbox = await startSandboxBank(new ManualClock());
    const relay = await holdingRelay(sandbox.url);
    // The production connector timeout: the test's short one would end the paused call itself.
    const link = await startLinkServer(backend, {
      "link.sandboxUrl": relay.url,
      "link.connectorTimeoutMs": 30_000,
    });
    const scenario = "link: a runner that lost its lease";
    try {
      const { ctx } = link.server.server;
      const { db } = ctx.database;
      const { jobId } = await connect(link, "user_good", scenario);
      await relay.held;

      // Another process takes the job over once the lease has lapsed, and ends it.
      link.server.clock.advance(ctx.config.link.leaseSeconds * 1000 + 1);
      const now = link.server.clock.now();
      const taken = await claimJob(db, jobId, "another-process", now, ctx.config.link.leaseSeconds * 1000);
      assert.equal(taken?.attempt, 2, "the lapsed job is taken over");
      const ended = await transition(
        db,
        jobId,
        { phase: "running", claim: { owner: "another-process", epoch: taken?.lease_epoch ?? 0 } },
        finished(now),
        [{ code: S.Finish }],
        now,
      );
      assert.ok(ended);
      const before = await storedData(ctx.database);

      // The first runner wakes up with its statement in hand.
      relay.release();
      await until(() => ctx.link.runningJobs === 0, "the first runner to stop");

      assert.deepEqual(await storedData(ctx.database), before, "nothing written after the lease was lost");
      const entries = await waitFor(link, jobId, scenario, endsWith(S.Finish));
      assert.deepEqual(codes(entries), [S.Register, S.Starting, S.Running, S.Finish]);
      assert.deepEqual(codes(await timeline(link, jobId, scenario)), codes(entries));
    } finally {
      relay.release();
      await link.server.close();
      relay.close();
      await sandbox.close();
    }
  });
}
