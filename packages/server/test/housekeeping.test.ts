import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { Kysely, SqliteDialect } from "kysely";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import type { TesseraConfig } from "../src/config/tessera-config.ts";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { linkJobsSweep } from "../src/housekeeping/sweep-link-jobs.ts";
import { sessionsSweep } from "../src/housekeeping/sweep-sessions.ts";
import { IDEMPOTENCY_TTL_MS } from "../src/idempotency/idempotency.ts";
import { type Database, openDatabase } from "../src/storage/database.ts";
import { adaptNodeSqlite } from "../src/storage/node-sqlite-adapter.ts";
import type { Schema } from "../src/storage/schema.ts";
import { insertCredentialRow } from "./helpers/credential-row.ts";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const DAY_MS = 86_400_000;

/** A context that differs from the server's in a few settings, for one call (the test says why). */
function withConfig(
  ctx: ServerContext,
  change: { link?: Partial<TesseraConfig["link"]>; housekeeping?: Partial<TesseraConfig["housekeeping"]> },
): ServerContext {
  const config = {
    ...ctx.config,
    link: { ...ctx.config.link, ...change.link },
    housekeeping: { ...ctx.config.housekeeping, ...change.housekeeping },
  };
  return { ...ctx, config };
}

for (const backend of backends) {
  suite(`housekeeping (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    let userId = "";
    let webhookId = "";
    let ctx: ServerContext;
    before(async () => {
      s = await startTestServer(backend);
      ctx = s.server.ctx;
      const created = await s.tenant();
      apiKey = created.apiKey;
      tenantId = created.tenant.id;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "hana" },
        scenario: "housekeeping: setup",
      });
      const user = await ctx.database.db
        .selectFrom("users")
        .select("id")
        .where("tenant_id", "=", tenantId)
        .executeTakeFirstOrThrow();
      userId = user.id;
      webhookId = randomUUID();
      await ctx.database.db
        .insertInto("link_webhooks")
        .values({
          id: webhookId,
          tenant_id: tenantId,
          url: "https://example.invalid/hook",
          secret_enc: "unused",
          events: '["*"]',
          created_at: s.clock.now(),
        })
        .execute();
    });
    after(() => s.close());

    const db = () => ctx.database.db;

    const session = async (expiresAt: number, revokedAt: number | null = null) => {
      const token_hash = randomUUID();
      await db()
        .insertInto("sessions")
        .values({
          token_hash,
          tenant_id: tenantId,
          user_id: userId,
          type: "web",
          created_at: s.clock.now() - 1000,
          expires_at: expiresAt,
          revoked_at: revokedAt,
        })
        .execute();
      return token_hash;
    };

    const credential = async () => {
      const id = randomUUID();
      const now = s.clock.now();
      await insertCredentialRow(db(), {
        id,
        tenantId,
        userId,
        loginHash: randomUUID(),
        fieldsEnc: "unused",
        status: 0,
        now,
      });
      return id;
    };

    /** A job of `credentialId` with a timeline of two entries; `latest` makes it the credential's last. */
    const job = async (credentialId: string, finishedAt: number | null, latest = false) => {
      const id = randomUUID();
      await db()
        .insertInto("link_jobs")
        .values({
          id,
          tenant_id: tenantId,
          credential_id: credentialId,
          site_id: "sandbox-bank",
          phase: finishedAt === null ? "running" : "done",
          step: "login",
          status: 0,
          attempt: 1,
          run_after: 0,
          lease_owner: null,
          lease_expires_at: null,
          lease_epoch: 0,
          active_credential_id: finishedAt === null ? credentialId : null,
          session_enc: null,
          question: null,
          question_expires_at: null,
          answer_enc: null,
          event_seq: 2,
          created_at: (finishedAt ?? s.clock.now()) - 60_000,
          updated_at: finishedAt ?? s.clock.now(),
          finished_at: finishedAt,
        })
        .execute();
      await db()
        .insertInto("link_job_events")
        .values([1, 2].map((seq) => ({ job_id: id, seq, code: 0, at: finishedAt ?? 0, detail: null })))
        .execute();
      if (latest)
        await db()
          .updateTable("link_credentials")
          .set({ last_job_id: id })
          .where("id", "=", credentialId)
          .execute();
      return id;
    };

    const delivery = async (state: string, endedAt: number) => {
      const id = randomUUID();
      await db()
        .insertInto("link_webhook_deliveries")
        .values({
          id,
          tenant_id: tenantId,
          webhook_id: webhookId,
          event_type: "job.status",
          payload: "{}",
          state,
          attempts: 1,
          next_attempt_at: endedAt,
          lease_expires_at: null,
          last_status: null,
          last_error: null,
          created_at: endedAt - 1000,
          delivered_at: state === "delivered" ? endedAt : null,
        })
        .execute();
      return id;
    };

    const present = async (table: "sessions" | "link_jobs" | "link_webhook_deliveries", ids: string[]) => {
      const key = table === "sessions" ? "token_hash" : "id";
      const rows = await db()
        .selectFrom(table)
        .select(`${key} as id` as never)
        .where(key as never, "in", ids as never)
        .execute();
      return new Set(rows.map((row) => (row as { id: string }).id));
    };

    const refusingDatabase = async (): Promise<Database> => {
      if (ctx.database.dialect === "sqlite") {
        const sqlite = new DatabaseSync(ctx.database.location, { readOnly: true });
        const readOnly = new Kysely<Schema>({
          dialect: new SqliteDialect({ database: adaptNodeSqlite(sqlite) }),
        });
        return { db: readOnly, dialect: "sqlite", location: "read-only", close: async () => sqlite.close() };
      }
      const closed = await openDatabase({ dataDir: ctx.config.dataDir, databaseUrl: ctx.config.databaseUrl });
      await closed.close();
      return closed;
    };

    const metric = async (line: RegExp) => {
      const response = await fetch(`${s.url}/metrics`);
      const text = await response.text();
      const found = text.split("\n").find((l) => line.test(l));
      return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(" ") + 1));
    };

    test("rows past their time go, rows within it stay, each credential's latest job stays", async () => {
      const now = s.clock.now();
      const retention = ctx.config.link.retentionDays * DAY_MS;
      assert.equal(ctx.config.link.retentionDays, 90, "the production default");
      const expired = await session(now);
      const revoked = await session(now + DAY_MS, now - 1);
      const live = await session(now + 1);

      const recoveries = { old: randomUUID(), recent: randomUUID(), used: randomUUID() };
      for (const [id, expiresAt, usedAt] of [
        [recoveries.old, now - DAY_MS, now - 2 * DAY_MS],
        [recoveries.recent, now - DAY_MS + 1, null],
        [recoveries.used, now + 1000, now - 1],
      ] as const)
        await db()
          .insertInto("password_recoveries")
          .values({
            id,
            tenant_id: tenantId,
            user_id: userId,
            message_hash: "00",
            expires_at: expiresAt,
            used_at: usedAt,
            created_at: expiresAt - 1800_000,
            mail_state: "sent",
          })
          .execute();

      const keys = { old: randomUUID(), recent: randomUUID() };
      for (const [id, createdAt] of [
        [keys.old, now - IDEMPOTENCY_TTL_MS],
        [keys.recent, now - IDEMPOTENCY_TTL_MS + 1],
      ] as const)
        await db()
          .insertInto("idempotency_keys")
          .values({
            id,
            tenant_id: tenantId,
            request_hash: "h",
            status_code: 201,
            response_enc: null,
            created_at: createdAt,
            claim_id: randomUUID(),
            lease_until: createdAt,
          })
          .execute();

      const c1 = await credential();
      const oldJob = await job(c1, now - retention);
      const latestJob = await job(c1, now - retention - DAY_MS, true);
      const recentJob = await job(c1, now - retention + 1);
      const c2 = await credential();
      const runningJob = await job(c2, null, true);

      const deliveries = {
        delivered: await delivery("delivered", now - retention),
        failed: await delivery("failed", now - retention),
        recent: await delivery("delivered", now - retention + 1),
        pending: await delivery("pending", now - retention - DAY_MS),
      };

      const result = await runHousekeepingRound(ctx, now);
      assert.deepEqual(result.failed, []);
      assert.equal(result.deleted.sessions, 2);
      assert.equal(result.deleted.password_recoveries, 1);
      assert.equal(result.deleted.idempotency_keys, 1);
      assert.equal(result.deleted.link_jobs, 1);
      assert.equal(result.deleted.link_webhook_deliveries, 2);

      assert.deepEqual(await present("sessions", [expired, revoked, live]), new Set([live]));
      const recoveryRows = await db().selectFrom("password_recoveries").select("id").execute();
      assert.deepEqual(new Set(recoveryRows.map((r) => r.id)), new Set([recoveries.recent, recoveries.used]));
      const keyRows = await db().selectFrom("idempotency_keys").select("id").execute();
      assert.deepEqual(new Set(keyRows.map((r) => r.id)), new Set([keys.recent]));
      assert.deepEqual(
        await present("link_jobs", [oldJob, latestJob, recentJob, runningJob]),
        new Set([latestJob, recentJob, runningJob]),
      );
      // The timeline went with its job (cascade), and only with it.
      const events = await db().selectFrom("link_job_events").select("job_id").execute();
      assert.equal(events.filter((e) => e.job_id === oldJob).length, 0);
      assert.equal(events.filter((e) => e.job_id === latestJob).length, 2);
      assert.deepEqual(
        await present("link_webhook_deliveries", Object.values(deliveries)),
        new Set([deliveries.recent, deliveries.pending]),
      );

      // Through the API: the credential still shows its latest job, whose timeline reads back,
      // while the deleted job is gone like any unknown one.
      const shown = await s.api("GET", `/v1/link/credentials/${c1}`, {
        apiKey,
        scenario: "housekeeping: credential",
      });
      assert.equal(shown.status, 200);
      assert.equal((shown.body.credential as { lastJobId: string }).lastJobId, latestJob);
      const kept = await s.api("GET", `/v1/link/jobs/${latestJob}/status`, {
        apiKey,
        scenario: "housekeeping: job",
      });
      assert.equal(kept.status, 200);
      assert.equal((kept.body.status as unknown[]).length, 2);
      const gone = await s.api("GET", `/v1/link/jobs/${oldJob}/status`, {
        apiKey,
        scenario: "housekeeping: job gone",
      });
      assert.equal(gone.status, 404);
      assert.equal(gone.body.errorCode, TesseraApiCode.NotFound);
    });

    test("a session created through the API is deleted once it expired, and reads as invalid", async () => {
      const created = await s.api("POST", "/v1/sessions", {
        apiKey,
        body: { username: "hana", durationMinutes: 5, type: "web" },
        scenario: "housekeeping: session",
      });
      assert.equal(created.status, 201);
      const expiresAt = s.clock.now() + 5 * 60_000;
      const count = () =>
        db()
          .selectFrom("sessions")
          .select(db().fn.countAll().as("n"))
          .where("user_id", "=", userId)
          .where("expires_at", "=", expiresAt)
          .executeTakeFirstOrThrow();
      assert.equal(Number((await count()).n), 1);
      await runHousekeepingRound(ctx, expiresAt - 1);
      assert.equal(Number((await count()).n), 1, "still live one millisecond before its end");
      await runHousekeepingRound(ctx, expiresAt);
      assert.equal(Number((await count()).n), 0);
      s.clock.advance(5 * 60_000);
      const check = await s.api("GET", `/v1/sessions/${created.body.sessionToken}`, {
        apiKey,
        scenario: "housekeeping: session gone",
      });
      assert.equal(check.status, 401);
      assert.equal(check.body.errorCode, ApiReturnCode.SessionTokenInvalid);
      s.clock.advance(-5 * 60_000);
    });

    test("batches never exceed the batch size, and a round still deletes everything in several", async () => {
      const now = s.clock.now();
      const expired = await Promise.all(Array.from({ length: 7 }, () => session(now - 10)));
      // One batch of 2, twice: exactly 4 go, the rest wait for the next call.
      assert.equal(await sessionsSweep.run(ctx, now, { batchSize: 2, maxBatches: 2 }), 4);
      assert.equal((await present("sessions", expired)).size, 3);
      assert.equal(await sessionsSweep.run(ctx, now, { batchSize: 2, maxBatches: 2 }), 3);

      // Jobs kept (each credential's latest) come first in the index; the batches walk past them.
      const cutoff = now - ctx.config.link.retentionDays * DAY_MS;
      const kept: string[] = [];
      const old: string[] = [];
      for (let i = 0; i < 3; i++) kept.push(await job(await credential(), cutoff - 10 * DAY_MS, true));
      const c = await credential();
      for (let i = 0; i < 7; i++) old.push(await job(c, cutoff - DAY_MS + i));
      kept.push(await job(c, cutoff, true));
      assert.equal(await linkJobsSweep.run(ctx, now, { batchSize: 2, maxBatches: 2 }), 4);
      // The test loosens housekeeping.batchSize to 2 (production: 500) so the round needs batches.
      const round = await runHousekeepingRound(withConfig(ctx, { housekeeping: { batchSize: 2 } }), now);
      assert.equal(round.deleted.link_jobs, 3);
      assert.deepEqual(await present("link_jobs", [...kept, ...old]), new Set(kept));
    });

    test("link.retentionDays 0 keeps Link jobs and deliveries forever", async () => {
      const now = s.clock.now();
      const ancient = now - 3650 * DAY_MS;
      const c = await credential();
      const ids = [await job(c, ancient)];
      await job(c, ancient, true);
      const deliveryId = await delivery("delivered", ancient);
      const round = await runHousekeepingRound(withConfig(ctx, { link: { retentionDays: 0 } }), now);
      assert.equal(round.deleted.link_jobs, 0);
      assert.equal(round.deleted.link_webhook_deliveries, 0);
      assert.equal((await present("link_jobs", ids)).size, 1);
      assert.equal((await present("link_webhook_deliveries", [deliveryId])).size, 1);
      // With the default, the same rows go.
      const normal = await runHousekeepingRound(ctx, now);
      assert.equal(normal.deleted.link_jobs, 1);
      assert.equal(normal.deleted.link_webhook_deliveries, 1);
    });

    test("two rounds at once, in two contexts with their own connections, delete each row once", async () => {
      const now = s.clock.now();
      const sessions = await Promise.all(Array.from({ length: 40 }, () => session(now - 5)));
      const c = await credential();
      await job(c, now, true);
      const cutoff = now - ctx.config.link.retentionDays * DAY_MS;
      const jobs: string[] = [];
      for (let i = 0; i < 20; i++) jobs.push(await job(c, cutoff - i));
      const other = await openServerContext(ctx.config, { clock: s.clock });
      try {
        // Small batches (test only) so the two rounds interleave over many statements.
        const small = { housekeeping: { batchSize: 3 } };
        const rounds = await Promise.all([
          runHousekeepingRound(withConfig(ctx, small), now),
          runHousekeepingRound(withConfig(other, small), now),
          runHousekeepingRound(withConfig(ctx, small), now),
        ]);
        for (const round of rounds) assert.deepEqual(round.failed, []);
        const total = (kind: string) => rounds.reduce((sum, round) => sum + (round.deleted[kind] ?? 0), 0);
        assert.equal(total("sessions"), 40);
        assert.equal(total("link_jobs"), 20);
        assert.equal((await present("sessions", sessions)).size, 0);
        assert.equal((await present("link_jobs", jobs)).size, 0);
      } finally {
        await other.close();
      }
    });

    test("/metrics counts deleted rows per kind, rounds by result, and a failed step is counted and logged", async () => {
      const deletedBefore = (await metric(/^tessera_housekeeping_deleted_total\{kind="sessions"\} /)) ?? 0;
      const okBefore = (await metric(/^tessera_housekeeping_rounds_total\{result="ok"\} /)) ?? 0;
      const now = s.clock.now();
      for (let i = 0; i < 3; i++) await session(now - 1);
      const round = await runHousekeepingRound(ctx, now);
      assert.equal(round.deleted.sessions, 3);
      assert.equal(
        await metric(/^tessera_housekeeping_deleted_total\{kind="sessions"\} /),
        deletedBefore + 3,
      );
      assert.equal(await metric(/^tessera_housekeeping_rounds_total\{result="ok"\} /), okBefore + 1);
      assert.ok(((await metric(/^tessera_housekeeping_last_round_duration_seconds /)) ?? -1) >= 0);

      // A real database that refuses the work (SQLite: a read-only handle on the file; PostgreSQL:
      // a pool that was closed): every step fails, is logged and counted, and the round itself
      // still returns, so the timer keeps going.
      const broken = await refusingDatabase();
      const logged: { kind: string }[] = [];
      const log = ctx.housekeeping.log;
      ctx.housekeeping.log = { info() {}, error: (fields) => logged.push(fields as { kind: string }) };
      try {
        const failed = await runHousekeepingRound({ ...ctx, database: broken }, now);
        assert.ok(
          failed.failed.includes("sessions") && failed.failed.includes("link_jobs"),
          String(failed.failed),
        );
        assert.deepEqual(
          logged.map((l) => l.kind),
          failed.failed,
        );
      } finally {
        ctx.housekeeping.log = log;
      }
      assert.equal(await metric(/^tessera_housekeeping_failures_total\{kind="sessions"\} /), 1);
      assert.equal(await metric(/^tessera_housekeeping_rounds_total\{result="failed"\} /), 1);
    });
  });
}

test("the retention and housekeeping settings refuse extremes at start, naming the setting", async () => {
  const cases: readonly (readonly [string, string, string, readonly string[]])[] = [
    ["link.retentionDays", "TESSERA_LINK_RETENTION_DAYS", "0 to 3650", ["-1", "3651", "1.5"]],
    [
      "housekeeping.intervalSeconds",
      "TESSERA_HOUSEKEEPING_INTERVAL_SECONDS",
      "10 to 86400",
      ["0", "9", "-10"],
    ],
    ["housekeeping.batchSize", "TESSERA_HOUSEKEEPING_BATCH_SIZE", "1 to 10000", ["0", "-1", "10001"]],
  ];
  const extremes = [String(2 ** 31), String(2 ** 53), "1e300", "0.5", "ten"];
  for (const [path, env, range, values] of cases) {
    for (const value of [...values, ...extremes]) {
      assert.throws(
        () => loadConfig({ env: { [env]: value } }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.includes(`${path} (${env}) must be an integer from ${range}`),
        `${env}=${value}`,
      );
    }
  }
  assert.equal(loadConfig({ env: { TESSERA_LINK_RETENTION_DAYS: "0" } }).link.retentionDays, 0);
  // The real command stops before it listens.
  const dir = mkdtempSync(join(tmpdir(), "tessera-retention-"));
  try {
    const started = await runCli(["start", "--port", "0", "--data-dir", dir], {
      env: { TESSERA_LINK_RETENTION_DAYS: String(2 ** 53), TESSERA_LOG_LEVEL: "silent" },
      scenario: "housekeeping: settings refused",
    });
    assert.equal(started.status, 1);
    assert.match(
      started.stderr,
      /link\.retentionDays \(TESSERA_LINK_RETENTION_DAYS\) must be an integer from 0 to 3650/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
