import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialStatus as S } from "@tessera/codes";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { ServerContext } from "../src/app/server-context.ts";
import { ManualClock } from "../src/clock/clock.ts";
import type { ConnectorContext } from "../src/link/connectors/connector.ts";
import { siteIoOf, siteRequest } from "../src/link/connectors/site-http.ts";
import { claimJob, renewLease } from "../src/link/jobs/claim-job.ts";
import { JobLease } from "../src/link/jobs/job-lease.ts";
import { findJob, finished, transition } from "../src/link/jobs/job-store.ts";
import type { LinkLog } from "../src/link/link-runtime.ts";
import { startSandboxBank } from "../src/link/sandbox-bank/sandbox-bank.ts";
import { siteForJob } from "../src/link/sites/site-directory.ts";
import type { Schema } from "../src/storage/schema.ts";
import { holdingRelay } from "./helpers/holding-relay.ts";
import { jobWrites } from "./helpers/job-writes.ts";
import { codes, connect, startLinkServer, timeline, until } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * Fencing in one process (job-machine.md, "Fencing"): a run holds its job by a claim (owner AND
 * epoch); once the claim is not its own, the run aborts its connector's request, sends the site
 * nothing more and writes nothing more.
 */

interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** Replaces the Link log of an in-process server with one the test reads. */
function captureLog(ctx: ServerContext): LogLine[] {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  const log: LinkLog = { info: at("info"), warn: at("warn"), error: at("error") };
  ctx.link.log = log;
  return lines;
}

const stopped = "sync job stopped: its lease was lost";

async function heldRun(backend: (typeof backends)[number], flags: Record<string, unknown>, scenario: string) {
  const sandbox = await startSandboxBank(new ManualClock());
  const relay = await holdingRelay(sandbox.url);
  // The production connector timeout: the test's short one would end the held call itself.
  const link = await startLinkServer(backend, {
    "link.sandboxUrl": relay.url,
    "link.connectorTimeoutMs": 30_000,
    ...flags,
  });
  const { ctx } = link.server.server;
  const lines = captureLog(ctx);
  const { jobId } = await connect(link, "user_good", scenario);
  await relay.held;
  const first = await findJob(ctx.database.db, jobId);
  assert.ok(first?.lease_owner && first.lease_expires_at !== null, "the job is running under a lease");
  return {
    link,
    relay,
    ctx,
    lines,
    jobId,
    first,
    async close() {
      relay.release();
      await link.server.close();
      relay.close();
      await sandbox.close();
    },
  };
}

for (const backend of backends) {
  test(`a later claim by the same process fences off its earlier run: the earlier run writes nothing (${backend})`, async () => {
    const scenario = "link: same process claims again";
    const run = await heldRun(backend, {}, scenario);
    try {
      const { ctx, jobId, first } = run;
      const { db } = ctx.database;
      const owner = first.lease_owner ?? "";
      // The same worker's owner claims the job again, as this process would once the lease lapsed
      // on the database's clock. The process clock stays put, so the earlier run's own lease has
      // not passed for it: only the epoch can tell the two runs of one owner apart.
      const lapsed = (first.lease_expires_at ?? 0) + 1;
      const leaseMs = ctx.config.link.leaseSeconds * 1000;
      const again = await claimJob(db, jobId, owner, lapsed, leaseMs);
      assert.equal(again?.lease_owner, owner, "claimed again by the same owner");
      const before = await jobWrites(db);

      // The earlier run gets its statement and tries to write it.
      run.relay.release();
      await until(() => ctx.link.runningJobs === 0, "the earlier run to stop");
      assert.deepEqual(await jobWrites(db), before, "the earlier run wrote nothing");
      assert.equal(again?.lease_epoch, first.lease_epoch + 1, "each claim has its own epoch");
      const line = run.lines.find((l) => l.message === stopped);
      assert.equal(line?.fields.jobId, jobId, "the stop is logged");
      assert.match(String(line?.fields.reason), /no longer this run's/);

      // The later claim still holds the job: its outcome is the timeline's only ending.
      const ended = await transition(
        db,
        jobId,
        { phase: "running", claim: { owner, epoch: again?.lease_epoch ?? -1 } },
        finished(lapsed),
        [{ code: S.Finish }],
        lapsed,
      );
      assert.ok(ended, "the later claim's transition applies");
      assert.deepEqual(codes(await timeline(run.link, jobId, scenario)), [
        S.Register,
        S.Starting,
        S.Running,
        S.Finish,
      ]);
    } finally {
      await run.close();
    }
  });

  test(`a refused lease renewal aborts the connector's request at once; the run sends and writes nothing more (${backend})`, async () => {
    const scenario = "link: renewal refused";
    // The shortest lease (5 s) so that its renewal, every lease/3, comes within 2 s of real time;
    // with the production 60 s this test would wait 20 s for it.
    const run = await heldRun(backend, { "link.leaseSeconds": 5 }, scenario);
    try {
      const { ctx, jobId, first } = run;
      const { db } = ctx.database;
      // Another process claims the job: on its clock the lease lapsed, on this process's it has not,
      // so the database's refusal alone must stop the run.
      const lapsed = (first.lease_expires_at ?? 0) + 1;
      const other = await claimJob(db, jobId, "another-process", lapsed, 5000);
      assert.ok(other, "the other process holds the job");
      const before = await jobWrites(db);
      const sent = run.relay.requests();

      await until(() => run.relay.abandoned(), "the held request to be aborted by the runner");
      await until(() => run.lines.some((l) => l.message === stopped), "the stop to be logged");
      await until(() => ctx.link.runningJobs === 0, "the run to end");
      assert.equal(run.relay.requests(), sent, "no further site request");
      assert.deepEqual(await jobWrites(db), before, "nothing written");
      const line = run.lines.find((l) => l.message === stopped);
      assert.equal(line?.fields.jobId, jobId);
      assert.equal(line?.fields.epoch, first.lease_epoch);
      assert.match(String(line?.fields.reason), /no longer this run's/);
    } finally {
      await run.close();
    }
  });

  test(`no site request once the lease is lost: siteRequest asks the run's lease first (${backend})`, async () => {
    const scenario = "link: no request after a lost lease";
    const run = await heldRun(backend, {}, scenario);
    try {
      const { ctx, jobId, first } = run;
      const { db } = ctx.database;
      const site = await siteForJob(ctx, first.site_id, first.tenant_id);
      assert.ok(site);
      const contextOf = (lease: JobLease): ConnectorContext => ({
        site,
        baseUrl: new URL(site.url, run.relay.url).toString(),
        signal: lease.signal,
        fields: {},
        session: {},
        io: siteIoOf(ctx.config.link),
        beforeRequest: async () => {
          await lease.renew();
        },
      });
      // The run's claim, held by a second hand on it: a request goes out while the claim is its own.
      const lease = new JobLease(ctx, first);
      const sent = run.relay.requests();
      await siteRequest(contextOf(lease), "accounts");
      assert.equal(run.relay.requests(), sent + 1, "sent while the claim holds");

      // Claimed elsewhere: the compare-and-set renewal before the request refuses, nothing is sent.
      const lapsed = (first.lease_expires_at ?? 0) + 1;
      const other = await claimJob(db, jobId, "another-process", lapsed, 60_000);
      assert.ok(other);
      await assert.rejects(siteRequest(contextOf(lease), "accounts"), { name: "LeaseLost" });
      assert.ok(lease.signal.aborted, "the lease's signal is aborted");
      assert.equal(run.relay.requests(), sent + 1, "no request after the claim was lost");

      // The other claim's own lease, once it passed on this process's clock: refused without asking
      // the database (a process that slept through its lease must not trust its last answer).
      const late = new JobLease(ctx, other);
      run.link.server.clock.advance((other.lease_expires_at ?? 0) - ctx.clock.now());
      await assert.rejects(siteRequest(contextOf(late), "accounts"), /expired on this process's clock/);
      assert.equal(run.relay.requests(), sent + 1, "no request past the granted lease");
    } finally {
      await run.close();
    }
  });

  test(`twenty concurrent claims of a lapsed job (half by the same owner): one wins, one epoch; stale renewals all refused (${backend})`, async () => {
    const scenario = "link: claim burst";
    const run = await heldRun(backend, {}, scenario);
    try {
      const { ctx, jobId, first } = run;
      const { db } = ctx.database;
      const owner = first.lease_owner ?? "";
      const lapsed = (first.lease_expires_at ?? 0) + 1;
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          claimJob(db, jobId, i % 2 ? owner : `another-process-${i}`, lapsed, 60_000),
        ),
      );
      const won = claims.filter((c) => c !== undefined);
      assert.equal(won.length, 1, "exactly one claim wins");
      const winner = won[0];
      assert.equal(winner?.lease_epoch, first.lease_epoch + 1, "one claim, one epoch");
      assert.equal((await findJob(db, jobId))?.lease_epoch, first.lease_epoch + 1);

      const until = lapsed + 60_000;
      const stale = await Promise.all(
        Array.from({ length: 20 }, () => renewLease(db, jobId, { owner, epoch: first.lease_epoch }, until)),
      );
      assert.deepEqual(new Set(stale), new Set([false]), "the earlier claim renews nothing");
      const current = { owner: winner?.lease_owner ?? "", epoch: winner?.lease_epoch ?? -1 };
      const renewed = await Promise.all(
        Array.from({ length: 20 }, () => renewLease(db, jobId, current, until)),
      );
      assert.deepEqual(new Set(renewed), new Set([true]), "the current claim renews");
    } finally {
      await run.close();
    }
  });
}

test("a renewal that fails (database unavailable) keeps the run only until its granted lease passes", async () => {
  const scenario = "link: renewal fails";
  const run = await heldRun("sqlite", {}, scenario);
  // A database that is down: nothing listens on loopback port 1, so every query fails at once.
  const down = new Kysely<Schema>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: "postgres://127.0.0.1:1/down" }) }),
  });
  try {
    const { ctx, first } = run;
    const unavailable = {
      ...ctx,
      clock: ctx.clock,
      config: ctx.config,
      link: ctx.link,
      database: { db: down },
    };
    const lease = new JobLease(unavailable as unknown as ServerContext, first);
    assert.equal(await lease.tick(), undefined, "not renewed");
    assert.equal(lease.lost, false, "a failed renewal alone does not give the job up");
    assert.ok(run.lines.some((l) => l.message === "sync job lease renewal failed"));

    run.link.server.clock.advance((first.lease_expires_at ?? 0) - ctx.clock.now());
    assert.equal(await lease.tick(), undefined);
    assert.equal(lease.lost, true, "once the granted lease passes, the run stops");
    assert.ok(lease.signal.aborted, "its connector's signal is aborted");
    assert.throws(() => lease.assertHeld(), { name: "LeaseLost" });
  } finally {
    await down.destroy();
    await run.close();
  }
});

test("a lease is given up a quarter early: a host whose clock runs ahead by less than that claims only a job its holder no longer acts on", async () => {
  const scenario = "link: clock skew between hosts";
  const run = await heldRun("sqlite", {}, scenario);
  try {
    const { ctx, first } = run;
    const lease = new JobLease(ctx, first);
    const leaseMs = ctx.config.link.leaseSeconds * 1000;
    const expiry = first.lease_expires_at ?? 0;
    // Another host whose clock runs `skew` ahead claims once its clock passes the expiry, which is
    // `expiry - skew` on this host's clock.
    const skew = leaseMs / 4 - 1000;
    run.link.server.clock.advance(expiry - leaseMs / 4 - 1 - ctx.clock.now());
    lease.assertHeld();
    run.link.server.clock.advance(expiry - skew - ctx.clock.now());
    assert.throws(() => lease.assertHeld(), { name: "LeaseLost" });
    assert.ok(lease.signal.aborted, "the connector's signal is aborted before the other host may claim");
  } finally {
    await run.close();
  }
});
