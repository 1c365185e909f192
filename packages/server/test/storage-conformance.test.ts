import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { CompiledQuery, sql } from "kysely";
import { openServerContext, type ServerContext } from "../src/app/server-context.ts";
import { AuditLog } from "../src/audit/audit-log.ts";
import { type ChainHead, extendChain } from "../src/audit/chain-extension.ts";
import { PostgresAuditWriter } from "../src/audit/postgres-audit-writer.ts";
import { verifyAudit } from "../src/audit/verify-audit.ts";
import {
  acceptPosition,
  insertAuthenticator,
  newAuthenticatorId,
  newAuthenticatorRow,
} from "../src/authenticators/authenticator-store.ts";
import { authenticatorListQuery, type TokenFilter } from "../src/authenticators/list-authenticators.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { loadConfig } from "../src/config/load-config.ts";
import { openRecovery, redeemRecovery } from "../src/passwords/recovery-store.ts";
import { createSession, revokeSession } from "../src/sessions/session-store.ts";
import { openDatabase } from "../src/storage/database.ts";
import { isUniqueViolation } from "../src/storage/database-failure.ts";
import { preparedQuery } from "../src/storage/prepared-query.ts";
import type { Schema } from "../src/storage/schema.ts";
import { lockedUntil, recordSourceFailure } from "../src/tenants/source-lockout.ts";
import { createTenant } from "../src/tenants/tenant-store.ts";
import { findUser, insertUser, likePattern, listUsers } from "../src/users/user-store.ts";
import { backends, createTestDatabase, type TestDatabase } from "./helpers/test-database.ts";

/**
 * The guarantees the rest of the server relies on from storage, checked on every backend: the same
 * suite must pass on SQLite and PostgreSQL.
 */
/** An audit event for storage tests; only the subject tells them apart. */
const auditEvent = (subject: string) => ({
  at: Date.now(),
  tenantId: null,
  actor: "system",
  subject,
  sourceIp: null,
  operation: "test",
  resultCode: 0,
  durationMs: null,
  requestId: null,
});

for (const backend of backends) {
  suite(`storage conformance (${backend})`, () => {
    let database: TestDatabase;
    let ctx: ServerContext;
    const clock = new ManualClock();
    before(async () => {
      database = await createTestDatabase(backend);
      ctx = await openServerContext(
        loadConfig({
          env: {},
          flags: { dataDir: database.dataDir, databaseUrl: database.databaseUrl, logLevel: "silent" },
        }),
        { clock },
      );
    });
    after(async () => {
      await ctx.close();
      await database.drop();
    });

    test("migrations are idempotent: opening an up-to-date database changes nothing", async () => {
      const again = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      assert.ok((await again.db.selectFrom("tenants").selectAll().execute()).length >= 0);
      await again.close();
    });

    test("times beyond 32 bits come back as the same numbers", async () => {
      const far = Date.UTC(2200, 0, 1);
      const tenant = await createTenant(ctx.database.db, "times", far);
      const row = await ctx.database.db
        .selectFrom("tenants")
        .select("created_at")
        .where("id", "=", tenant.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.created_at, far);
      assert.equal(typeof row.created_at, "number");
    });

    test("a unique-key violation is told apart from any other failure", async () => {
      const tenant = await createTenant(ctx.database.db, "unique-violation", clock.now());
      const duplicate = await ctx.database.db
        .insertInto("tenants")
        .values({
          ...(await ctx.database.db
            .selectFrom("tenants")
            .selectAll()
            .where("id", "=", tenant.id)
            .executeTakeFirstOrThrow()),
        })
        .execute()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(duplicate !== undefined, "the duplicate primary key is refused");
      assert.equal(isUniqueViolation(duplicate), true);
      const other = await sql`select * from no_such_table`.execute(ctx.database.db).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(other !== undefined);
      assert.equal(isUniqueViolation(other), false);
    });

    test("usernames are unique per tenant, and only per tenant", async () => {
      const a = await createTenant(ctx.database.db, "uniq-a", clock.now());
      const b = await createTenant(ctx.database.db, "uniq-b", clock.now());
      assert.ok(await insertUser(ctx.database.db, a.id, { username: "zed" }, clock.now()));
      assert.equal(await insertUser(ctx.database.db, a.id, { username: "zed" }, clock.now()), undefined);
      assert.ok(await insertUser(ctx.database.db, b.id, { username: "zed" }, clock.now()));
    });

    test("a prepared look-up never reads, and a prepared write never joins, another flow's open transaction", async () => {
      const db = ctx.database.db;
      const tenant = await createTenant(db, "isolation", clock.now());
      const token = newAuthenticatorRow(
        {
          id: newAuthenticatorId(),
          tenant_id: tenant.id,
          serial: "ISO-1",
          type: "totp",
          secret_enc: "x",
          algorithm: "SHA1",
          digits: 6,
          period: 30,
        },
        clock.now(),
      );
      assert.ok(await insertAuthenticator(db, token));
      let started = (): void => {};
      let release = (): void => {};
      const begun = new Promise<void>((resolve) => {
        started = resolve;
      });
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const rolledBack = db.transaction().execute(async (trx) => {
        await insertUser(trx, tenant.id, { username: "ghost" }, clock.now());
        started();
        await gate;
        throw new Error("rolled back on purpose");
      });
      await begun;
      const lookup = findUser(db, tenant.id, "ghost");
      const spend = acceptPosition(db, token, 5, 0, clock.now());
      release();
      await assert.rejects(rolledBack, /rolled back on purpose/);
      assert.equal(await lookup, undefined, "the look-up saw a row that was never committed");
      assert.equal(await spend, true);
      const after = await db
        .selectFrom("authenticators")
        .select("position")
        .where("id", "=", token.id)
        .executeTakeFirst();
      assert.equal(after?.position, 5, "the write was rolled back with someone else's transaction");
    });

    test("token lists read one tenant's tokens by an index, in serial order, walking no other tenant's (EXPLAIN)", async () => {
      const { db } = ctx.database;
      const now = clock.now();
      const mine = await createTenant(db, "explain-mine", now);
      const other = await createTenant(db, "explain-other", now);
      const holder = await insertUser(db, mine.id, { username: "explainer" }, now);
      assert.ok(holder !== undefined);
      const row = (tenantId: string, serial: string, userId: string | null) =>
        newAuthenticatorRow(
          {
            id: newAuthenticatorId(),
            tenant_id: tenantId,
            serial,
            type: "totp",
            secret_enc: "x",
            algorithm: "SHA1",
            digits: 6,
            period: 30,
            user_id: userId,
          },
          now,
        );
      // Another tenant with many tokens (the reviewer's case), and a few of this tenant's, one
      // user's among them, so that the planner has something to choose between.
      for (let batch = 0; batch < 10; batch += 1)
        await db
          .insertInto("authenticators")
          .values(Array.from({ length: 200 }, (_, i) => row(other.id, `EXO${batch}-${i}`, null)))
          .execute();
      const second = await insertUser(db, mine.id, { username: "explainer2" }, now);
      assert.ok(second !== undefined);
      // More than a page of this tenant's own: half another user's, two the holder's, the rest unassigned.
      for (let batch = 0; batch < 2; batch += 1)
        await db
          .insertInto("authenticators")
          .values(
            Array.from({ length: 200 }, (_, i) =>
              row(mine.id, `EXM${batch}-${i}`, batch === 0 ? second.id : i < 2 ? holder.id : null),
            ),
          )
          .execute();
      if (ctx.database.dialect === "postgres") await sql`ANALYZE authenticators`.execute(db);

      const plan = async (filter: TokenFilter, after: string | undefined) => {
        const { sql: text, parameters } = authenticatorListQuery(db, mine.id, filter, {
          limit: 51,
          after,
        }).compile();
        const explain = ctx.database.dialect === "postgres" ? "EXPLAIN " : "EXPLAIN QUERY PLAN ";
        const rows = await db.executeQuery<Record<string, unknown>>(
          CompiledQuery.raw(explain + text, [...parameters]),
        );
        return rows.rows.map((r) => String(r.detail ?? r["QUERY PLAN"])).join("\n");
      };
      const byTenant = "authenticators_by_tenant_serial";
      const byHolder = "authenticators_by_tenant_user_serial";
      for (const after of [undefined, "EXM1-1"])
        for (const [filter, index] of [
          [{}, byTenant],
          [{ type: "totp", enabled: true }, byTenant],
          [{ userId: holder.id }, byHolder],
          [{ assigned: false }, byHolder],
        ] as const) {
          const text = await plan(filter, after);
          const shown = `${JSON.stringify(filter)} after ${after}:\n${text}`;
          // SQLite plans without statistics, always alike: the exact index is pinned. PostgreSQL
          // weighs its statistics (here: most unassigned rows are the other tenant's), so either
          // tenant-leading index will do, as long as it is ordered and bounded by the tenant.
          if (ctx.database.dialect === "sqlite") assert.ok(text.includes(index), shown);
          else assert.match(text, /Index Scan using authenticators_by_tenant_(user_)?serial/, shown);
          assert.doesNotMatch(text, /TEMP B-TREE|\bSort\b|Seq Scan|SCAN authenticators/, shown);
        }
    });

    test("LIKE treats % and _ literally and * ? as wildcards, case-insensitively", async () => {
      const t = await createTenant(ctx.database.db, "like", clock.now());
      for (const username of ["a_b", "axb", "a%b", "ab"])
        await insertUser(ctx.database.db, t.id, { username }, clock.now());
      const find = async (pattern: string) =>
        (
          await listUsers(ctx.database.db, t.id, { by: "username", pattern, limit: 10, after: undefined })
        ).map((u) => u.username);
      assert.equal(likePattern("A_%*?"), "a\\_\\%%_");
      assert.deepEqual(await find("a_b"), ["a_b"]);
      assert.deepEqual(await find("a%b"), ["a%b"]);
      assert.deepEqual(await find("A?B"), ["a%b", "a_b", "axb"]);
      assert.deepEqual(await find("a*"), ["a%b", "a_b", "ab", "axb"]);
    });

    test("single use under concurrency: 20 racing redemptions of one recovery link, one wins", async () => {
      const t = await createTenant(ctx.database.db, "race-recovery", clock.now());
      const user = await insertUser(ctx.database.db, t.id, { username: "rita" }, clock.now());
      const { rid } = await openRecovery(ctx.database.db, {
        tenantId: t.id,
        userId: user?.id ?? "",
        now: clock.now(),
        expiresAt: clock.now() + 60_000,
      });
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => redeemRecovery(ctx.database.db, rid, clock.now())),
      );
      assert.equal(wins.filter(Boolean).length, 1);
    });

    test("single use under concurrency: 20 racing expiries of one session, one wins", async () => {
      const t = await createTenant(ctx.database.db, "race-session", clock.now());
      const user = await insertUser(ctx.database.db, t.id, { username: "sid" }, clock.now());
      const token = await createSession(ctx.database.db, {
        tenantId: t.id,
        userId: user?.id ?? "",
        type: "web",
        createdAt: clock.now(),
        expiresAt: clock.now() + 60_000,
      });
      const wins = await Promise.all(
        Array.from({ length: 20 }, () => revokeSession(ctx.database.db, t.id, token, clock.now())),
      );
      assert.equal(wins.filter(Boolean).length, 1);
    });

    test("failure counters are atomic: 30 racing failures from one source reach the limit", async () => {
      const source = `203.0.113.${backend === "sqlite" ? 1 : 2}`;
      await Promise.all(
        Array.from({ length: 9 }, () =>
          recordSourceFailure(ctx.database.db, source, clock.now(), { failureLimit: 10, lockoutSeconds: 60 }),
        ),
      );
      assert.equal(
        await lockedUntil(ctx.database.db, source, clock.now()),
        undefined,
        "9 failures do not lock",
      );
      const policy = { failureLimit: 10, lockoutSeconds: 60 };
      assert.deepEqual(
        await recordSourceFailure(ctx.database.db, source, clock.now(), policy),
        {},
        "the 10th is still answered as a bad key",
      );
      assert.deepEqual(await recordSourceFailure(ctx.database.db, source, clock.now(), policy), {
        lockedUntil: clock.now() + 60_000,
      });
      assert.equal(
        await lockedUntil(ctx.database.db, source, clock.now()),
        clock.now() + 60_000,
        "the 10th locks",
      );
      // A lock longer than the 15-minute counting window is not cut short by a failure after it.
      const long = `${source}-long`;
      const day = { failureLimit: 2, lockoutSeconds: 86_400 };
      await recordSourceFailure(ctx.database.db, long, clock.now(), day);
      await recordSourceFailure(ctx.database.db, long, clock.now(), day);
      const until = clock.now() + 86_400_000;
      assert.deepEqual(await recordSourceFailure(ctx.database.db, long, clock.now() + 3_600_000, day), {
        lockedUntil: until,
      });
      assert.deepEqual(await recordSourceFailure(ctx.database.db, long, until, day), {}, "a fresh count");
    });

    if (backend === "postgres") {
      test("a named statement prepared before another process's migration still runs after it", async () => {
        const fresh = await createTestDatabase("postgres");
        const opened = await openDatabase({
          dataDir: fresh.dataDir,
          databaseUrl: fresh.databaseUrl,
          poolSize: 1,
        });
        const byName = preparedQuery<Schema, { name: string }, Record<string, unknown>>(opened.db, (p) =>
          opened.db.selectFrom("tenants").selectAll().where("name", "=", p("name")),
        );
        await createTenant(opened.db, "before-migration", clock.now());
        assert.equal((await byName({ name: "before-migration" })).length, 1);
        await sql`alter table tenants add column added_later text`.execute(opened.db);
        const [row] = await byName({ name: "before-migration" });
        assert.ok(row !== undefined && "added_later" in row, "the query sees the table as it is now");
        await opened.close();
        await fresh.drop();
      });

      test("a PostgreSQL audit writer appends in one statement, and under the lock when another process moved the head", async () => {
        const second = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
        const first = new PostgresAuditWriter(ctx.database.db);
        const other = new PostgresAuditWriter(second.db);
        const extend = (n: number) => (head: ChainHead) =>
          extendChain(ctx.signer, 5, head, [auditEvent(`w:${n}`)]);
        await first.append(extend(1));
        await first.append(extend(2));
        await first.append(extend(3));
        assert.deepEqual(
          first.appends,
          { oneStatement: 2, locked: 1 },
          "the head was learnt once, then kept",
        );
        await other.append(extend(4));
        await first.append(extend(5));
        assert.deepEqual(
          first.appends,
          { oneStatement: 2, locked: 2 },
          "a moved head sends the batch to the lock",
        );
        await first.append(extend(6));
        assert.equal(first.appends.oneStatement, 3);
        await second.close();
        const subjects = await ctx.database.db
          .selectFrom("audit_events")
          .select("subject")
          .where("subject", "like", "w:%")
          .orderBy("seq")
          .execute();
        assert.deepEqual(
          subjects.map((r) => r.subject),
          ["w:1", "w:2", "w:3", "w:4", "w:5", "w:6"],
          "nothing was written by the compare-and-set that lost",
        );
        assert.deepEqual((await verifyAudit(ctx.database.db, ctx.signer)).problems, []);
      });
    }

    test("two audit writers on two connections to one database keep one unbroken chain", async () => {
      const second = await openDatabase({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      const other = new AuditLog(second, ctx.signer, 7);
      await Promise.all(
        Array.from({ length: 60 }, (_, n) => (n % 2 === 0 ? ctx.audit : other).append(auditEvent(`n:${n}`))),
      );
      await second.close();
      const result = await verifyAudit(ctx.database.db, ctx.signer);
      assert.deepEqual(result.problems, []);
    });
  });
}
