import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { sql } from "kysely";
import { type RunningServer, runServer } from "../src/app/run-server.ts";
import { verifyAudit } from "../src/audit/verify-audit.ts";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

type Event = {
  seq: number;
  actor: string;
  subject: string | null;
  sourceIp: string;
  operation: string;
  resultCode: number;
  requestId: string;
};

for (const backend of backends) {
  suite(`audit trail (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // Trusts the loopback proxy hop (not the default) so a test can show the recorded source
      // address is the client's, sent as X-Forwarded-For.
      s = await startTestServer(backend, {
        flags: { "audit.checkpointEvery": 10, trustedProxies: "127.0.0.1/32" },
      });
    });
    after(() => s.close());
    const verify = () => verifyAudit(s.server.ctx.database.db, s.server.ctx.signer);
    /** The real `tessera` command line against this suite's database. */
    const cli = (args: readonly string[], scenario: string) => {
      const { dataDir, databaseUrl } = s.server.ctx.config;
      const data = [
        "--data-dir",
        dataDir,
        ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
      ];
      return runCli([...data, ...args], { env: { TESSERA_LOG_LEVEL: "silent" }, scenario });
    };

    test("every API request is recorded with tenant, actor, subject, source, operation and code, never a secret", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "wes", password: "hunter2hunter2" },
        source: "192.0.2.44",
        scenario: "audit: setup",
      });
      const login = await s.api("POST", "/v1/auth/password", {
        apiKey,
        body: { username: "wes", password: "wrong-password" },
        source: "192.0.2.44",
        scenario: "audit: failed login",
      });
      const session = await s.api("POST", "/v1/sessions", {
        apiKey,
        body: { username: "wes", durationMinutes: 5, type: "web" },
        scenario: "audit: session",
      });
      const r = await s.api("GET", "/v1/audit?subject=user:wes", { apiKey, scenario: "audit: list" });
      const events = r.body.events as Event[];
      const failed = events.find((e) => e.requestId === login.headers.get("x-request-id"));
      assert.deepEqual(
        failed && {
          actor: failed.actor.startsWith("apikey:"),
          subject: failed.subject,
          sourceIp: failed.sourceIp,
          operation: failed.operation,
          resultCode: failed.resultCode,
        },
        {
          actor: true,
          subject: "user:wes",
          sourceIp: "192.0.2.44",
          operation: "POST /v1/auth/password",
          resultCode: ApiReturnCode.PartnerUserLoginFailed,
        },
      );
      const dump = JSON.stringify(await sql`select * from audit_events`.execute(s.server.ctx.database.db));
      for (const secret of ["hunter2hunter2", "wrong-password", String(session.body.sessionToken), apiKey])
        assert.ok(!dump.includes(secret), "no secret in the trail");
    });

    test("filters and a cursor page through a tenant's own events only", async () => {
      const a = await s.tenant();
      const b = await s.tenant();
      for (let i = 0; i < 5; i += 1)
        await s.api("GET", `/v1/users/u${i}`, { apiKey: a.apiKey, scenario: "audit: setup" });
      await s.api("GET", "/v1/users/other", { apiKey: b.apiKey, scenario: "audit: setup" });
      const seen: Event[] = [];
      let cursor: string | null = null;
      do {
        const page = await s.api(
          "GET",
          `/v1/audit?operation=${encodeURIComponent("GET /v1/users/:username")}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
          { apiKey: a.apiKey, scenario: "audit: page" },
        );
        seen.push(...(page.body.events as Event[]));
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);
      assert.deepEqual(
        seen.map((e) => e.subject),
        ["user:u4", "user:u3", "user:u2", "user:u1", "user:u0"],
      );
      const byCode = await s.api("GET", `/v1/audit?resultCode=${ApiReturnCode.InvalidPartnerUserLogin}`, {
        apiKey: b.apiKey,
        scenario: "audit: by code",
      });
      assert.deepEqual(
        (byCode.body.events as Event[]).map((e) => e.subject),
        ["user:other"],
      );
    });

    test("concurrent requests keep one unbroken, signed chain with periodic checkpoints", async () => {
      const { apiKey } = await s.tenant();
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          s.api("GET", `/v1/users/c${i}`, { apiKey, scenario: "audit: concurrent" }),
        ),
      );
      const result = await verify();
      assert.deepEqual(result.problems, []);
      assert.ok(result.ok);
      assert.equal(result.checkpoints, Math.floor(result.events / 10), "one checkpoint every 10 events");
    });

    test("verify detects an edited, deleted, reordered or truncated entry, and a forged head", async () => {
      const { db } = s.server.ctx.database;
      assert.ok((await verify()).ok);
      const last = (await db.selectFrom("audit_head").select("seq").executeTakeFirstOrThrow()).seq;
      const snapshot = await db.selectFrom("audit_events").selectAll().orderBy("seq").execute();
      const head = await db.selectFrom("audit_head").selectAll().executeTakeFirstOrThrow();
      const restore = async () => {
        await db.deleteFrom("audit_events").execute();
        for (let i = 0; i < snapshot.length; i += 500)
          await db
            .insertInto("audit_events")
            .values(snapshot.slice(i, i + 500))
            .execute();
        await db.updateTable("audit_head").set(head).where("id", "=", 1).execute();
        assert.ok((await verify()).ok, "restored");
      };
      const expectProblem = async (pattern: RegExp) => {
        const result = await verify();
        assert.equal(result.ok, false);
        assert.ok(
          result.problems.some((p) => pattern.test(p)),
          result.problems.join("; "),
        );
        await restore();
      };

      await db
        .updateTable("audit_events")
        .set({ actor: "apikey:someone-else" })
        .where("seq", "=", 3)
        .execute();
      await expectProblem(/entry 3: content does not match its hash/);

      await db.deleteFrom("audit_events").where("seq", "=", 5).execute();
      await expectProblem(/entry 5: missing or out of order/);

      const [e6, e7] = snapshot.filter((e) => e.seq === 6 || e.seq === 7);
      await db.deleteFrom("audit_events").where("seq", "in", [6, 7]).execute();
      await db
        .insertInto("audit_events")
        .values([
          { ...(e7 as (typeof snapshot)[0]), seq: 6 },
          { ...(e6 as (typeof snapshot)[0]), seq: 7 },
        ])
        .execute();
      await expectProblem(/entry 6: (does not link|content does not match)/);

      await db
        .deleteFrom("audit_events")
        .where("seq", ">", last - 3)
        .execute();
      await expectProblem(/signed head says \d+ entries but the chain ends at/);

      const previous = snapshot.at(-4);
      await db
        .deleteFrom("audit_events")
        .where("seq", ">", last - 3)
        .execute();
      await db
        .updateTable("audit_head")
        .set({ seq: previous?.seq ?? 0, hash: previous?.hash ?? "" })
        .where("id", "=", 1)
        .execute();
      await expectProblem(/head signature is invalid/);
    });

    test("a head moved outside Tessera is never re-signed: the next request is refused and verify keeps failing", async () => {
      const { db } = s.server.ctx.database;
      const { apiKey } = await s.tenant();
      await s.server.ctx.audit.flush();
      const head = await db.selectFrom("audit_head").selectAll().executeTakeFirstOrThrow();
      const kept = await db
        .selectFrom("audit_events")
        .selectAll()
        .where("seq", ">", head.seq - 3)
        .execute();
      const cut = await db
        .selectFrom("audit_events")
        .select(["seq", "hash"])
        .where("seq", "=", head.seq - 3)
        .executeTakeFirstOrThrow();
      // Whoever can write the database cuts the last three entries and points the head at the cut;
      // the head's signature no longer matches, and the next append must not re-sign it.
      await db.deleteFrom("audit_events").where("seq", ">", cut.seq).execute();
      await db.updateTable("audit_head").set({ seq: cut.seq, hash: cut.hash }).where("id", "=", 1).execute();
      try {
        const refused = await s.api("GET", "/v1/tenant", {
          apiKey,
          scenario: "audit: head moved outside Tessera",
        });
        assert.equal(refused.body.errorCode, ApiReturnCode.DatabaseError);
        const result = await verify();
        assert.equal(result.ok, false);
        assert.ok(
          result.problems.includes("the audit head signature is invalid"),
          result.problems.join("; "),
        );
      } finally {
        await db.insertInto("audit_events").values(kept).execute();
        await db.updateTable("audit_head").set(head).where("id", "=", 1).execute();
      }
      assert.ok((await verify()).ok, "restored");
    });

    test("`audit head` prints an anchor; `audit verify --anchor` fails once the trail is cut back below it", async () => {
      const { db } = s.server.ctx.database;
      const { apiKey } = await s.tenant();
      await s.server.ctx.audit.flush();
      // A genuinely signed older head, as a backup of the database would hold it.
      const older = await db.selectFrom("audit_head").selectAll().executeTakeFirstOrThrow();
      for (let i = 0; i < 12; i += 1)
        await s.api("GET", `/v1/users/anchor${i}`, { apiKey, scenario: "audit: setup" });
      await s.server.ctx.audit.flush();
      const printed = await cli(["audit", "head", "--json"], "audit: head");
      assert.equal(printed.status, 0, printed.stderr);
      const head = JSON.parse(printed.stdout) as {
        seq: number;
        hash: string;
        anchor: string;
        signatureValid: boolean;
      };
      const stored = await db.selectFrom("audit_head").selectAll().executeTakeFirstOrThrow();
      assert.deepEqual(
        { seq: head.seq, hash: head.hash, anchor: head.anchor, signatureValid: head.signatureValid },
        { seq: stored.seq, hash: stored.hash, anchor: `${stored.seq}:${stored.hash}`, signatureValid: true },
      );
      assert.equal((head as { updatedAt?: unknown }).updatedAt, new Date(stored.updated_at).toISOString());
      const lines = await cli(["audit", "head"], "audit: head");
      assert.match(lines.stdout, new RegExp(`^anchor: +${head.anchor}$`, "m"));

      const intact = await cli(
        ["audit", "verify", "--json", "--anchor", head.anchor],
        "audit: verify anchor",
      );
      assert.equal(intact.status, 0, intact.stdout);
      const rewritten = await verifyAudit(db, s.server.ctx.signer, undefined, {
        seq: head.seq,
        hash: "f".repeat(64),
      });
      assert.ok(
        rewritten.problems.some((p) => /differs from the anchor/.test(p)),
        rewritten.problems.join("; "),
      );

      for (const bad of [
        "12",
        "x:y",
        `-1:${head.hash}`,
        `1.5:${head.hash}`,
        `${head.seq}:${head.hash.slice(1)}`,
        `${2 ** 53}:${head.hash}`,
        `${"9".repeat(10_000)}:${head.hash}`,
      ]) {
        const r = await cli(["audit", "verify", "--anchor", bad], "audit: verify bad anchor");
        assert.equal(r.status, 2, bad);
        assert.match(r.stderr, /--anchor <seq:hash>.*is invalid.*expected <seq>:<hash>/s, bad);
      }

      // Cut back to the older head and restore its genuine signature: signatures alone cannot tell.
      await db.deleteFrom("audit_events").where("seq", ">", older.seq).execute();
      await db.deleteFrom("audit_checkpoints").where("seq", ">", older.seq).execute();
      await db.updateTable("audit_head").set(older).where("id", "=", 1).execute();
      const unanchored = await cli(["audit", "verify", "--json"], "audit: verify rolled back");
      assert.equal(unanchored.status, 0, "without the anchor, a rollback to a genuine older head verifies");
      const anchored = await cli(
        ["audit", "verify", "--json", "--anchor", head.anchor],
        "audit: verify rolled back",
      );
      assert.equal(anchored.status, 1, anchored.stdout);
      const result = JSON.parse(anchored.stdout) as { problems: string[] };
      assert.ok(
        result.problems.some(
          (p) => p === `the chain ends at ${older.seq}, before the anchor at ${head.seq} (truncated)`,
        ),
        result.problems.join("; "),
      );
    });

    test("cutting the trail back to a checkpoint and copying it into the head fails `tessera audit verify`", async () => {
      const { db } = s.server.ctx.database;
      const { apiKey } = await s.tenant();
      for (let i = 0; i < 25; i += 1)
        await s.api("GET", `/v1/users/cut${i}`, { apiKey, scenario: "audit: setup" });
      await s.server.ctx.audit.flush();
      const checkpoints = await db.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
      const k = checkpoints.at(-2);
      assert.ok(k !== undefined, "at least two checkpoints");
      const before = await cli(["audit", "verify", "--json"], "audit: verify intact");
      assert.equal(before.status, 0, before.stdout);
      // The attack: delete everything after checkpoint K and make the head say K, signed by K's
      // signature. A head and a checkpoint sign different statements, so this signature is no head's.
      await db.deleteFrom("audit_events").where("seq", ">", k.seq).execute();
      await db.deleteFrom("audit_checkpoints").where("seq", ">", k.seq).execute();
      await db
        .updateTable("audit_head")
        .set({ seq: k.seq, hash: k.hash, signature: k.signature })
        .where("id", "=", 1)
        .execute();
      const head = await cli(["audit", "head"], "audit: head forged");
      assert.equal(head.status, 1, "a forged head yields no anchor to keep");
      assert.match(head.stdout, /signature: .*INVALID/);
      const after = await cli(["audit", "verify", "--json"], "audit: verify cut back");
      assert.equal(after.status, 1, after.stdout);
      const result = JSON.parse(after.stdout) as { ok: boolean; problems: string[] };
      assert.equal(result.ok, false);
      assert.ok(
        result.problems.some((p) => /head signature is invalid/.test(p)),
        result.problems.join("; "),
      );
    });

    /** The statement every signature covered before issue #9 (the old audit-event.ts). */
    const oldStatement = (seq: number, hash: string) => Buffer.from(`tessera-audit:${seq}:${hash}`);
    const legacyMessage =
      /the audit trail is signed in the format used before this release; check it with `tessera audit verify --legacy` and upgrade it with `tessera audit upgrade-legacy --expect-head <seq>:<hash>`/;

    /**
     * A trail as a release before issue #9 left it: a server of its own writes events, then every
     * checkpoint and the head are signed over the old statement with the audit signing key.
     */
    const legacyTrail = async () => {
      const legacy = await startTestServer(backend, { flags: { "audit.checkpointEvery": 10 } });
      const { apiKey } = await legacy.tenant();
      for (let i = 0; i < 25; i += 1)
        await legacy.api("GET", `/v1/users/old${i}`, { apiKey, scenario: "audit: setup" });
      await legacy.server.ctx.audit.flush();
      const { db } = legacy.server.ctx.database;
      const { signer } = legacy.server.ctx;
      for (const c of await db.selectFrom("audit_checkpoints").selectAll().execute())
        await db
          .updateTable("audit_checkpoints")
          .set({ signature: signer.sign(oldStatement(c.seq, c.hash)) })
          .where("seq", "=", c.seq)
          .execute();
      const head = await db.selectFrom("audit_head").selectAll().executeTakeFirstOrThrow();
      await db
        .updateTable("audit_head")
        .set({ signature: signer.sign(oldStatement(head.seq, head.hash)) })
        .where("id", "=", 1)
        .execute();
      const check = () => verifyAudit(db, signer);
      const start = () => runServer(legacy.server.ctx.config, { clock: legacy.clock, logger: false });
      const signatures = async () => ({
        head: (await db.selectFrom("audit_head").select("signature").executeTakeFirstOrThrow()).signature,
        checkpoints: (
          await db.selectFrom("audit_checkpoints").select("signature").orderBy("seq").execute()
        ).map((c) => c.signature),
      });
      const upgrades = () =>
        db.selectFrom("audit_events").selectAll().where("operation", "=", "audit.upgrade").execute();
      const { dataDir, databaseUrl } = legacy.server.ctx.config;
      const data = [
        "--data-dir",
        dataDir,
        ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
      ];
      /** The real `tessera` command line against the legacy trail's database. */
      const run = (args: readonly string[], scenario: string) =>
        runCli([...data, ...args], { env: { TESSERA_LOG_LEVEL: "silent" }, scenario });
      /** The anchor the old release's `tessera audit head` printed, which the operator recorded. */
      const recorded = `${head.seq}:${head.hash}`;
      return { legacy, db, signer, headSeq: head.seq, recorded, check, start, signatures, upgrades, run };
    };
    const closeAll = async (servers: readonly { close(): Promise<void> }[]) => {
      for (const server of servers) await server.close();
    };

    // Bounded: should `tessera start` ever accept a legacy trail again, it would serve instead of exiting.
    test("a legacy trail fails closed: `tessera start` and writing commands refuse, `audit verify --legacy` checks it without writing", {
      timeout: 60_000,
    }, async () => {
      const trail = await legacyTrail();
      try {
        const signed = await trail.signatures();
        const events = await trail.db.selectFrom("audit_events").select("seq").execute();
        await assert.rejects(trail.start(), legacyMessage);
        const started = await trail.run(["start", "--port", "0"], "audit: start on legacy trail");
        assert.equal(started.status, 1, started.stdout + started.stderr);
        assert.match(started.stderr, legacyMessage);
        const created = await trail.run(["tenant", "create", "acme"], "audit: write on legacy trail");
        assert.equal(created.status, 1, created.stdout + created.stderr);
        assert.match(created.stderr, legacyMessage);

        const verify = await trail.run(["audit", "verify", "--json"], "audit: verify legacy");
        assert.equal(verify.status, 1, verify.stdout + verify.stderr);
        const reported = JSON.parse(verify.stdout) as { ok: boolean; legacy: boolean; problems: string[] };
        assert.equal(reported.ok, false);
        assert.equal(reported.legacy, true);
        assert.match(reported.problems.join("; "), legacyMessage);
        const legacyVerify = await trail.run(["audit", "verify", "--legacy"], "audit: verify --legacy");
        assert.equal(legacyVerify.status, 0, legacyVerify.stdout + legacyVerify.stderr);
        assert.match(legacyVerify.stdout, /legacy audit trail intact: 25 events, 2 signed checkpoints/);
        // Not a current-format trail: the current statements still refuse every legacy signature.
        assert.ok((await trail.check()).problems.includes("the audit head signature is invalid"));

        const head = await trail.run(["audit", "head", "--json"], "audit: head legacy");
        assert.equal(head.status, 0, head.stdout + head.stderr);
        const printed = JSON.parse(head.stdout) as {
          anchor: string;
          legacy: boolean;
          signatureValid: boolean;
        };
        assert.deepEqual(
          { anchor: printed.anchor, legacy: printed.legacy, signatureValid: printed.signatureValid },
          { anchor: trail.recorded, legacy: true, signatureValid: false },
        );
        const lines = await trail.run(["audit", "head"], "audit: head legacy");
        assert.match(lines.stdout, /signature: .*LEGACY format/);
        // The hint never offers the database's own head as the value to expect: an attacker who cut
        // the trail chose that head.
        assert.ok(lines.stdout.includes("tessera audit upgrade-legacy --expect-head <seq>:<hash>"));
        assert.ok(!lines.stdout.includes(`--expect-head ${trail.recorded}`));

        assert.deepEqual(await trail.signatures(), signed, "nothing re-signed");
        assert.deepEqual(await trail.db.selectFrom("audit_events").select("seq").execute(), events);
        assert.equal((await trail.upgrades()).length, 0);
      } finally {
        await trail.legacy.close();
      }
    });

    test("`audit upgrade-legacy` refuses a wrong --expect-head, then two at once with the right one upgrade once", async () => {
      const trail = await legacyTrail();
      const started: RunningServer[] = [];
      try {
        const signed = await trail.signatures();
        for (const bad of [[], ["--expect-head", "12"], ["--expect-head", `-1:${"a".repeat(64)}`]]) {
          const r = await trail.run(["audit", "upgrade-legacy", ...bad], "audit: upgrade usage");
          assert.equal(r.status, 2, `${bad.join(" ")}: ${r.stderr}`);
        }
        const k = await trail.db
          .selectFrom("audit_checkpoints")
          .selectAll()
          .orderBy("seq")
          .executeTakeFirstOrThrow();
        const [seq, hash] = trail.recorded.split(":") as [string, string];
        for (const wrong of [
          `${k.seq}:${k.hash}`,
          `${seq}:${"0".repeat(64)}`,
          `${Number(seq) + 1}:${hash}`,
        ]) {
          const r = await trail.run(
            ["audit", "upgrade-legacy", "--expect-head", wrong, "--json"],
            "audit: upgrade wrong head",
          );
          assert.equal(r.status, 1, r.stdout + r.stderr);
          const result = JSON.parse(r.stdout) as { state: string; problems: string[] };
          assert.equal(result.state, "refused");
          assert.deepEqual(result.problems, [`the head is ${trail.recorded}, not the expected ${wrong}`]);
        }
        assert.deepEqual(await trail.signatures(), signed, "nothing re-signed");

        // Two real processes racing for the trail, with the head the operator recorded.
        const upgrading = await Promise.all(
          [1, 2].map(() =>
            trail.run(
              ["audit", "upgrade-legacy", "--expect-head", trail.recorded, "--json"],
              "audit: upgrade",
            ),
          ),
        );
        for (const r of upgrading) assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.deepEqual(upgrading.map((r) => (JSON.parse(r.stdout) as { state: string }).state).sort(), [
          "current",
          "upgraded",
        ]);
        assert.deepEqual((await trail.check()).problems, []);
        const upgrades = await trail.upgrades();
        assert.equal(upgrades.length, 1, "exactly one process re-signs");
        assert.equal(
          upgrades[0]?.subject,
          `legacy signatures verified and re-signed up to seq ${trail.headSeq}`,
        );
        assert.equal(upgrades[0]?.seq, trail.headSeq + 1, "the event follows the legacy trail");
        const verify = await trail.run(["audit", "verify"], "audit: verify after upgrade");
        assert.equal(verify.status, 0, verify.stdout + verify.stderr);
        // Upgraded: "nothing to upgrade" only for a head the trail still holds.
        const beyond = await trail.run(
          ["audit", "upgrade-legacy", "--expect-head", `${trail.headSeq + 50}:${hash}`, "--json"],
          "audit: upgrade expecting a head the trail does not hold",
        );
        assert.equal(beyond.status, 1, beyond.stdout + beyond.stderr);
        assert.equal((JSON.parse(beyond.stdout) as { state: string }).state, "refused");
        started.push(await trail.start());

        // A legacy-format head over the upgraded trail (a mixed state) is never accepted again:
        // the server refuses to start and the upgrade refuses it.
        const head = await trail.db.selectFrom("audit_head").selectAll().executeTakeFirstOrThrow();
        await trail.db
          .updateTable("audit_head")
          .set({ signature: trail.signer.sign(oldStatement(head.seq, head.hash)) })
          .where("id", "=", 1)
          .execute();
        await assert.rejects(trail.start(), legacyMessage);
        const mixed = await trail.run(
          ["audit", "upgrade-legacy", "--expect-head", `${head.seq}:${head.hash}`, "--json"],
          "audit: upgrade mixed",
        );
        assert.equal(mixed.status, 1, mixed.stdout);
        assert.match(mixed.stdout, /a legacy head over checkpoints in the current format \(first at 10\)/);
        assert.equal((await trail.upgrades()).length, 1);
      } finally {
        await closeAll(started);
        await trail.legacy.close();
      }
    });

    test("a legacy trail with an edited entry is not re-signed, and both verifies report it", async () => {
      const trail = await legacyTrail();
      try {
        await trail.db
          .updateTable("audit_events")
          .set({ actor: "apikey:forged" })
          .where("seq", "=", 3)
          .execute();
        const signed = await trail.signatures();
        const r = await trail.run(
          ["audit", "upgrade-legacy", "--expect-head", trail.recorded, "--json"],
          "audit: upgrade edited",
        );
        assert.equal(r.status, 1, r.stdout + r.stderr);
        const result = JSON.parse(r.stdout) as { state: string; problems: string[] };
        assert.equal(result.state, "refused");
        assert.ok(
          result.problems.some((p) => /entry 3: content does not match its hash/.test(p)),
          result.problems.join("; "),
        );
        assert.deepEqual(await trail.signatures(), signed, "nothing re-signed");
        assert.equal((await trail.upgrades()).length, 0);
        const verify = await trail.run(["audit", "verify", "--legacy"], "audit: verify --legacy edited");
        assert.equal(verify.status, 1, verify.stdout);
        assert.match(verify.stdout, /entry 3: content does not match its hash/);
      } finally {
        await trail.legacy.close();
      }
    });

    test("after the upgrade, a trail cut back to a checkpoint with its signature in the head is refused, in either format", async () => {
      const trail = await legacyTrail();
      // The attacker's backup from before the upgrade: the legacy checkpoint signatures.
      const backup = await trail.db.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
      const started: RunningServer[] = [];
      try {
        const upgraded = await trail.run(
          ["audit", "upgrade-legacy", "--expect-head", trail.recorded],
          "audit: upgrade",
        );
        assert.equal(upgraded.status, 0, upgraded.stdout + upgraded.stderr);
        started.push(await trail.start());
        const { apiKey } = await trail.legacy.tenant();
        for (let i = 0; i < 15; i += 1)
          await trail.legacy.api("GET", `/v1/users/new${i}`, { apiKey, scenario: "audit: setup" });
        await trail.legacy.server.ctx.audit.flush();
        await closeAll(started.splice(0));
        const anchor = await trail.run(["audit", "head", "--json"], "audit: head");
        const kept = (JSON.parse(anchor.stdout) as { anchor: string }).anchor;
        const checkpoints = await trail.db
          .selectFrom("audit_checkpoints")
          .selectAll()
          .orderBy("seq")
          .execute();
        const k = checkpoints[0];
        const kLegacy = backup[0];
        assert.ok(k !== undefined && kLegacy !== undefined && checkpoints.length >= 4);
        assert.ok(trail.signer.verify(oldStatement(kLegacy.seq, kLegacy.hash), kLegacy.signature));
        await trail.db.deleteFrom("audit_events").where("seq", ">", k.seq).execute();
        await trail.db.deleteFrom("audit_checkpoints").where("seq", ">", k.seq).execute();

        // K's re-signed checkpoint signature in the head: not a head signature in any format.
        await trail.db
          .updateTable("audit_head")
          .set({ seq: k.seq, hash: k.hash, signature: k.signature })
          .where("id", "=", 1)
          .execute();
        const forged = await trail.run(["audit", "verify", "--json"], "audit: verify cut back");
        assert.equal(forged.status, 1, forged.stdout);
        assert.match(forged.stdout, /the audit head signature is invalid/);

        // The reviewer's attack: K's legacy checkpoint signature (from the backup) back in K and in
        // the head, so the trail looks legacy throughout. It used to be re-signed at the next start.
        await trail.db
          .updateTable("audit_checkpoints")
          .set({ signature: kLegacy.signature, key_id: kLegacy.key_id })
          .where("seq", "=", k.seq)
          .execute();
        await trail.db
          .updateTable("audit_head")
          .set({ seq: k.seq, hash: k.hash, signature: kLegacy.signature })
          .where("id", "=", 1)
          .execute();
        const signed = await trail.signatures();
        await assert.rejects(trail.start(), legacyMessage);
        const verify = await trail.run(["audit", "verify", "--json"], "audit: verify cut back to legacy");
        assert.equal(verify.status, 1, verify.stdout);
        assert.match(verify.stdout, legacyMessage);
        const upgrade = await trail.run(
          ["audit", "upgrade-legacy", "--expect-head", trail.recorded, "--json"],
          "audit: upgrade cut back",
        );
        assert.equal(upgrade.status, 1, upgrade.stdout + upgrade.stderr);
        assert.deepEqual((JSON.parse(upgrade.stdout) as { problems: string[] }).problems, [
          `the head is ${k.seq}:${k.hash}, not the expected ${trail.recorded}`,
        ]);
        // The anchor kept after the upgrade shows the cut even under the legacy statement.
        const anchored = await trail.run(
          ["audit", "verify", "--legacy", "--anchor", kept],
          "audit: verify --legacy anchored",
        );
        assert.equal(anchored.status, 1, anchored.stdout);
        assert.match(anchored.stdout, /before the anchor at \d+ \(truncated\)/);
        assert.deepEqual(await trail.signatures(), signed, "nothing re-signed");
        assert.equal((await trail.upgrades()).length, 0, "the upgrade event was cut, and not written again");
      } finally {
        await closeAll(started);
        await trail.legacy.close();
      }
    });
  });
}
