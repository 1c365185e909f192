import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, publicMessage, TesseraApiCode } from "@tessera/codes";
import pg from "pg";
import { checkedPublicUrl, defaultPublicUrl, isWildcardHost, publicLink } from "../src/app/public-url.ts";
import { type RunningServer, runServer } from "../src/app/run-server.ts";
import { ManualClock } from "../src/clock/clock.ts";
import { ConfigError } from "../src/config/load-config.ts";
import { escapeHtml, html } from "../src/pages/html.ts";
import { type Database, openDatabase } from "../src/storage/database.ts";
import { createApiKey } from "../src/tenants/api-keys.ts";
import { createTenant } from "../src/tenants/tenant-store.ts";
import { apiRequest, assertOutcome, keyedClient } from "./helpers/api-client.ts";
import { until } from "./helpers/link.ts";
import { runCli } from "./helpers/run-cli.ts";
import { startServerProcess } from "./helpers/server-process.ts";
import { recoveryLink, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends, createTestDatabase } from "./helpers/test-database.ts";
import { startTestServer, type TestServer, testConfig } from "./helpers/test-server.ts";

/** Calls `read` until `done` holds for its result (mail is sent after the answer). */
async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`condition not reached: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Begins a graceful stop while an e-mail is held at the SMTP server, and lets it through once the
 * server no longer listens: a stop that does not wait for its recoveries has closed the database
 * by then, or is about to.
 */
async function stopWhileHeld(server: RunningServer, gate: { release(): void }): Promise<void> {
  const closing = server.close();
  await pollUntil(
    async () => server.app.server.listening,
    (listening) => !listening,
  );
  gate.release();
  await closing;
}

/** The e-mail state of every recovery stored, read after the server stopped. */
const storedMailStates = (database: Database) =>
  database.db.selectFrom("password_recoveries").select("mail_state").execute();

test('a wildcard spelt "0" is read from the bound address: links point at loopback, not 0.0.0.0', async () => {
  // Listens on every interface for this test only; nothing is sent anywhere but loopback.
  const s = await startTestServer("sqlite", { flags: { host: "0" } });
  try {
    const port = new URL(s.url).port;
    assert.equal(s.server.ctx.publicUrl, `http://127.0.0.1:${port}/`);
  } finally {
    await s.close();
  }
});

test("links are built with the URL API: IPv6 brackets, wildcard hosts, a base path, a checked publicUrl", async () => {
  assert.equal(defaultPublicUrl("::1", 4000).toString(), "http://[::1]:4000/");
  assert.equal(defaultPublicUrl("::", 8080).toString(), "http://[::1]:8080/");
  assert.equal(defaultPublicUrl("0.0.0.0", 8080).toString(), "http://127.0.0.1:8080/");
  assert.equal(defaultPublicUrl("tessera.internal", 80).toString(), "http://tessera.internal/");
  assert.ok(isWildcardHost("0:0:0:0:0:0:0:0") && !isWildcardHost("::1"));
  assert.ok(isWildcardHost("0") && isWildcardHost("::ffff:0.0.0.0") && !isWildcardHost("::ffff:127.0.0.1"));
  assert.equal(defaultPublicUrl("::ffff:0.0.0.0", 8080).toString(), "http://[::1]:8080/");
  assert.throws(() => defaultPublicUrl("fe80::1%eth0", 8080), ConfigError);
  assert.equal(
    publicLink("https://id.example.test/tessera/", "/password-recovery", { rid: "a b", mid: "c&d" }),
    "https://id.example.test/tessera/password-recovery?rid=a+b&mid=c%26d",
  );
  for (const bad of [
    "https://u:p@id.example.test/",
    "https://id.example.test/?x=1",
    "https://id.example.test/#f",
    "ftp://x/",
  ])
    assert.throws(() => checkedPublicUrl(bad), ConfigError, bad);
  const database = await createTestDatabase("sqlite");
  try {
    await assert.rejects(
      runServer(testConfig(database, { publicUrl: "https://id.example.test/?from=mail" }), {
        clock: new ManualClock(),
        logger: false,
      }),
      /publicUrl must not have a query or a fragment/,
    );
  } finally {
    await database.drop();
  }
});

test("without smtp.host (a real process on ::1): a warning at start; a failed recovery e-mail is logged with its reason, audited, and read back as HTTP 200 with 9017", async () => {
  const database = await createTestDatabase("sqlite");
  const data = ["--data-dir", database.dataDir];
  const created = await runCli([...data, "tenant", "create", "mailless", "--json"], {
    scenario: "recovery: setup",
  });
  const apiKey = String(JSON.parse(created.stdout).apiKey);
  const server = await startServerProcess([...data, "--host", "::1"]);
  try {
    const call = (method: string, path: string, body: unknown, scenario: string) =>
      keyedClient(server.url, apiKey)(method, path, scenario, body);
    // The warning follows the "listening" line the helper waits for.
    await pollUntil(
      async () => server.logs.some((l) => l.level === 40 && String(l.msg).includes("smtp.host is not set")),
      (seen) => seen,
    );
    await call("POST", "/v1/users", { username: "ola", email: "ola@mail.test" }, "recovery: setup");
    const started = await call("POST", "/v1/password-recovery", { username: "ola" }, "recovery: start");
    assert.equal(started.status, 200);
    const rid = String(started.body.requestId);
    const read = await pollUntil(
      () => call("GET", `/v1/password-recovery/${rid}`, undefined, "recovery: mail failed"),
      (r) => r.body.mail === "failed",
    );
    assert.equal(read.status, 200, "a failed send is the answer to the read, not a server failure");
    assertOutcome(read, ApiReturnCode.PartnerUserSendPasswordEmailFailed);
    const warning = await pollUntil(
      async () => server.logs.find((l) => l.msg === "password-recovery e-mail not sent"),
      (l) => l !== undefined,
    );
    assert.match(String(warning?.reason), /no SMTP server is configured \(smtp\.host\)/);
    assert.equal(typeof warning?.userId, "string");
    // The request id is in the request log of the tenant's read-back URL; the warning itself names
    // no id, and no line carries the address or the link.
    assert.ok(!JSON.stringify(warning).includes(rid));
    const everything = JSON.stringify(server.logs);
    for (const secret of ["ola@mail.test", "/password-recovery?"])
      assert.ok(!everything.includes(secret), secret);
    const audit = await call("GET", "/v1/audit?subject=user:ola", undefined, "recovery: audit");
    const events = (audit.body.events as { operation: string; resultCode: number; actor: string }[]).map(
      (e) => `${e.actor} ${e.operation} ${e.resultCode}`,
    );
    assert.ok(
      events.includes(`system password-recovery e-mail ${ApiReturnCode.PartnerUserSendPasswordEmailFailed}`),
      events.join(", "),
    );
  } finally {
    await server.stop("SIGKILL");
    await database.drop();
  }
});

test("pages escape every interpolated value", () => {
  assert.equal(
    escapeHtml(`<a href="x" onclick='y'>&</a>`),
    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
  const name = `"><script>alert(1)</script>`;
  assert.equal(
    html`<p title="${name}">${name}</p>`.safe,
    `<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
  );
});

for (const backend of backends) {
  suite(`password recovery (${backend})`, () => {
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

    /** A user with an e-mail address at the sink, so that recovery has somewhere to write. */
    const mailUser = (apiKey: string, username: string) =>
      s.api("POST", "/v1/users", {
        apiKey,
        body: { username, email: `${username}@mail.test` },
        scenario: "recovery: setup",
      });

    const start = (apiKey: string, username: string, scenario = "recovery: start") =>
      s.api("POST", "/v1/password-recovery", { apiKey, body: { username }, scenario });
    const status = (apiKey: string, rid: unknown, scenario: string) =>
      s.api("GET", `/v1/password-recovery/${String(rid)}`, { apiKey, scenario });
    const shape = (body: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(body).map(([k, v]) => [k, k === "errorCode" ? v : typeof v]));

    test("a known and an unknown username get the same answer, before any e-mail is delivered", async () => {
      const { apiKey } = await s.tenant();
      await mailUser(apiKey, "una");
      // The sink holds its answer to every message: an answer that waited for the e-mail would
      // not arrive until the release below.
      const gate = smtp.hold();
      try {
        const known = await start(apiKey, "una");
        const unknown = await start(apiKey, "nobody");
        assert.equal(known.status, 200);
        assert.equal(unknown.status, known.status);
        assert.deepEqual(shape(unknown.body), shape(known.body));
        assert.match(String(unknown.body.requestId), /^[A-Za-z0-9_-]{22}$/);
        await gate.arrived;
        assert.equal(
          (await status(apiKey, known.body.requestId, "recovery: mail pending")).body.mail,
          "queued",
          "the answer left before the SMTP server confirmed the e-mail",
        );
        gate.release();
        const link = await recoveryLink(smtp, "una@mail.test", 1);
        assert.equal(link.searchParams.get("rid"), known.body.requestId);
        let read = await status(apiKey, known.body.requestId, "recovery: mail pending");
        const deadline = Date.now() + 10_000;
        while (read.body.mail !== "sent" && Date.now() < deadline)
          read = await status(apiKey, known.body.requestId, "recovery: mail pending");
        assert.equal(read.body.mail, "sent");
        const other = await s.tenant();
        const foreign = await status(other.apiKey, known.body.requestId, "recovery: other tenant");
        assert.equal(foreign.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound);
        const made = await status(apiKey, unknown.body.requestId, "recovery: unknown request");
        assert.equal(made.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound);
      } finally {
        gate.release();
      }
    });

    test("on an IPv6 host with port 0: known and unknown usernames get 200, the e-mailed link works, provisioning links are URLs", async () => {
      const v6 = await startTestServer(backend, { flags: { host: "::1", ...smtpFlags(smtp) } });
      try {
        const port = new URL(v6.url).port;
        const { apiKey } = await v6.tenant();
        const call = (method: string, path: string, body: unknown, scenario: string) =>
          v6.api(method, path, { apiKey, body, scenario });
        await call(
          "POST",
          "/v1/users",
          { username: "ivo", email: `ivo-${backend}@mail.test` },
          "recovery: setup",
        );
        const known = await call("POST", "/v1/password-recovery", { username: "ivo" }, "recovery: start");
        const unknown = await call("POST", "/v1/password-recovery", { username: "ghost" }, "recovery: start");
        assert.deepEqual([known.status, unknown.status], [200, 200]);
        const link = await recoveryLink(smtp, `ivo-${backend}@mail.test`, 1);
        assert.equal(link.host, `[::1]:${port}`);
        assert.equal((await fetch(link)).status, 200);
        const fields = { rid: link.searchParams.get("rid") ?? "", mid: link.searchParams.get("mid") ?? "" };
        const done = await fetch(new URL("/password-recovery", link), {
          method: "POST",
          body: new URLSearchParams({ ...fields, password: "an IPv6 password", confirm: "an IPv6 password" }),
        });
        assert.equal(done.status, 200);

        const created = await call("POST", "/v1/authenticators", { type: "totp" }, "provisioning: setup");
        const serial = (created.body.authenticator as { serial: string }).serial;
        const issued = await call(
          "POST",
          `/v1/authenticators/${serial}/provisioning-link`,
          {},
          "provisioning: link",
        );
        assert.equal(issued.status, 200);
        const url = new URL(String(issued.body.url));
        assert.equal(url.host, `[::1]:${port}`);
        assert.equal((await fetch(url)).status, 200);
      } finally {
        await v6.close();
      }
    });

    test("a burst of recoveries for one user: the limit's worth are answered and e-mailed, no more", async () => {
      const { apiKey } = await s.tenant();
      await mailUser(apiKey, "bea");
      const results = await Promise.all(Array.from({ length: 12 }, () => start(apiKey, "bea")));
      const answered = results.filter((r) => r.status === 200);
      assert.equal(answered.length, 5, "recovery.maxPerHour is 5");
      for (const r of results.filter((r) => r.status !== 200))
        assert.equal(r.body.errorCode, TesseraApiCode.RateLimited);
      // Every answered request's e-mail has gone once its state says so; then count them all.
      for (const r of answered)
        await pollUntil(
          () => status(apiKey, r.body.requestId, "recovery: mail pending"),
          (read) => read.body.mail === "sent",
        );
      assert.equal(smtp.to("bea@mail.test").length, 5);
    });

    test("a graceful stop finishes the recoveries it has answered", async () => {
      const database = await createTestDatabase(backend);
      const server = await runServer(testConfig(database, smtpFlags(smtp)), {
        clock: new ManualClock(),
        logger: false,
      });
      const { db } = server.ctx.database;
      const gate = smtp.hold();
      try {
        const tenant = await createTenant(db, "stopping", Date.now());
        const { apiKey } = await createApiKey(db, tenant.id, "test", ["admin"], Date.now());
        const call = (path: string, body: unknown, scenario: string) =>
          apiRequest(`${server.url}${path}`, {
            method: "POST",
            scenario,
            headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
        await call("/v1/users", { username: "sid", email: `sid-${backend}@mail.test` }, "recovery: setup");
        const started = await call("/v1/password-recovery", { username: "sid" }, "recovery: start");
        assert.equal(started.status, 200);
        await gate.arrived;
        // The e-mail is held at the SMTP server while the stop begins; it is let through once the
        // server no longer listens (a stop that does not wait has then closed the database, or
        // is about to).
        await stopWhileHeld(server, gate);
      } finally {
        gate.release();
      }
      const reopened = await openDatabase({
        dataDir: database.dataDir,
        databaseUrl: database.databaseUrl,
        poolSize: 1,
      });
      try {
        const rows = await storedMailStates(reopened);
        assert.deepEqual(
          rows.map((r) => r.mail_state),
          ["sent"],
        );
      } finally {
        await reopened.close();
        await database.drop();
      }
    });

    test("the limit counts unknown usernames like known ones", async () => {
      const { apiKey } = await s.tenant();
      for (let i = 0; i < 5; i += 1) assert.equal((await start(apiKey, "ghost")).status, 200);
      const limited = await start(apiKey, "ghost", "recovery: rate limited");
      assert.equal(limited.body.errorCode, TesseraApiCode.RateLimited);
    });

    test("the e-mailed link opens a form that sets the password once, and refuses anything else alike", async () => {
      const { apiKey } = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "vera", email: "vera@mail.test", password: "the old password" },
        scenario: "recovery: setup",
      });
      await start(apiKey, "vera");
      const link = await recoveryLink(smtp, "vera@mail.test", 1);
      const rid = link.searchParams.get("rid") ?? "";
      const mid = link.searchParams.get("mid") ?? "";
      const page = await fetch(`${s.url}${link.pathname}${link.search}`);
      assert.equal(page.status, 200);
      for (const [name, value] of Object.entries({
        "content-type": /^text\/html; charset=utf-8$/,
        "cache-control": /^no-store$/,
        "referrer-policy": /^no-referrer$/,
        "content-security-policy": /default-src 'none'.*form-action 'self'/,
      }))
        assert.match(page.headers.get(name) ?? "", value, name);
      const form = await page.text();
      assert.match(form, new RegExp(`name="rid" value="${rid}"`));
      assert.match(form, new RegExp(`name="mid" value="${mid}"`));
      assert.doesNotMatch(form, /<script/);

      const post = (fields: Record<string, string>) =>
        fetch(`${s.url}/password-recovery`, { method: "POST", body: new URLSearchParams(fields) });
      const differ = await post({ rid, mid, password: "a new password", confirm: "another one" });
      assert.equal(differ.status, 400);
      assert.match(await differ.text(), /not the same/);

      // Every kind of bad link shows the same public message.
      const generic = escapeHtml(publicMessage(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound));
      const otherMid = `${mid.slice(0, -2)}${mid.endsWith("AA") ? "BB" : "AA"}`;
      for (const bad of [
        { rid, mid: otherMid },
        { rid: "A".repeat(22), mid },
        { rid: "<b>", mid },
      ]) {
        const refused = await post({ ...bad, password: "a new password", confirm: "a new password" });
        assert.ok(refused.status >= 400 && refused.status < 500, String(refused.status));
        const text = await refused.text();
        assert.ok(text.includes(generic), text);
        assert.doesNotMatch(text, /<b>/);
      }

      const done = await post({ rid, mid, password: "a new password", confirm: "a new password" });
      assert.equal(done.status, 200);
      assert.match(await done.text(), /Your password was changed/);
      const signIn = await s.api("POST", "/v1/auth/password", {
        apiKey,
        body: { username: "vera", password: "a new password" },
        scenario: "recovery: after the page",
      });
      assert.equal(signIn.body.errorCode, 0);
      const again = await post({ rid, mid, password: "yet another one", confirm: "yet another one" });
      assert.equal(again.status, 404);
      assert.equal((await fetch(`${s.url}${link.pathname}${link.search}`)).status, 404, "the link is spent");
    });

    if (backend === "postgres")
      test("nothing about the account is read or written before the answer; its id matches nothing until then", async () => {
        const { apiKey } = await s.tenant();
        await s.api("POST", "/v1/users", {
          apiKey,
          body: { username: "lou", email: "lou@mail.test" },
          scenario: "recovery: setup",
        });
        // Another session holds the recovery table: a recovery that wrote before answering would
        // wait for it, and the test would fail on the bound below.
        const holder = new pg.Client({ connectionString: s.server.ctx.config.databaseUrl });
        await holder.connect();
        try {
          await holder.query("BEGIN");
          await holder.query("LOCK TABLE password_recoveries IN EXCLUSIVE MODE");
          const bound = new Promise<never>((_, reject) => {
            setTimeout(() => reject(new Error("the answer waited for the recovery table")), 5000).unref();
          });
          const [known, unknown] = await Promise.race([
            Promise.all([start(apiKey, "lou"), start(apiKey, "nobody-at-all")]),
            bound,
          ]);
          assert.deepEqual([known.status, unknown.status], [200, 200]);
          assert.deepEqual(shape(unknown.body), shape(known.body));
          const early = await status(apiKey, known.body.requestId, "recovery: not yet recorded");
          assert.equal(early.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound);
          await holder.query("COMMIT");
          const link = await recoveryLink(smtp, "lou@mail.test", 1);
          assert.equal(link.searchParams.get("rid"), known.body.requestId);
          const read = await pollUntil(
            () => status(apiKey, known.body.requestId, "recovery: mail pending"),
            (r) => r.body.mail === "sent",
          );
          assert.equal(read.body.errorCode, 0);
        } finally {
          await holder.end();
        }
      });

    test("concurrent submissions of one link set one password", async () => {
      const { apiKey } = await s.tenant();
      await mailUser(apiKey, "wes");
      await start(apiKey, "wes");
      const link = await recoveryLink(smtp, "wes@mail.test", 1);
      const fields = { rid: link.searchParams.get("rid") ?? "", mid: link.searchParams.get("mid") ?? "" };
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fetch(`${s.url}/password-recovery`, {
            method: "POST",
            body: new URLSearchParams({
              ...fields,
              password: `password number ${i}`,
              confirm: `password number ${i}`,
            }),
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1);
    });
  });
}

for (const backend of backends) {
  suite(`password recovery: per-source limits and the bounded e-mail queue (${backend})`, () => {
    /** A sink and a server on it for one test: the held sink and its connection count are its own. */
    async function withSink<T>(
      flags: Record<string, unknown>,
      run: (s: TestServer, smtp: SmtpSink) => Promise<T>,
    ) {
      const smtp = await startSmtpSink();
      // A longer SMTP timeout than smtpFlags' 5 s, so that no held send times out while a test looks.
      const s = await startTestServer(backend, {
        flags: { ...smtpFlags(smtp), "smtp.timeoutMs": 30_000, ...flags },
      });
      try {
        return await run(s, smtp);
      } finally {
        await s.close();
        await smtp.close();
      }
    }
    const users = async (s: TestServer, apiKey: string, n: number, tag: string) => {
      for (let i = 0; i < n; i += 1) {
        const created = await s.api("POST", "/v1/users", {
          apiKey,
          body: { username: `${tag}${i}`, email: `${tag}${i}@mail.test` },
          scenario: "recovery: setup",
        });
        assert.equal(created.status, 201);
      }
    };
    /** Starts one recovery for each of `${tag}0`…`${tag}${n - 1}` at once; every answer is 200. */
    const recoverAll = async (s: TestServer, apiKey: string, n: number, tag: string) => {
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          s.api("POST", "/v1/password-recovery", {
            apiKey,
            body: { username: `${tag}${i}` },
            scenario: "recovery: start",
          }),
        ),
      );
      assert.deepEqual(
        answers.map((a) => a.status),
        answers.map(() => 200),
      );
      return answers;
    };
    const mailStates = (s: TestServer, apiKey: string, rids: readonly unknown[]) =>
      Promise.all(
        rids.map(async (rid) => {
          const read = await s.api("GET", `/v1/password-recovery/${String(rid)}`, {
            apiKey,
            scenario: "recovery: mail state",
          });
          return read.status === 200 ? String(read.body.mail) : `status ${read.status}`;
        }),
      );
    const count = (states: readonly string[], state: string) => states.filter((x) => x === state).length;

    test("a burst above the per-source /v1/auth limit is refused with 429 RateLimited after the limit, read-backs too", async () => {
      // Tightened (not loosened) so that a small burst crosses the per-source limit.
      await withSink({ "rateLimits.authPerSource": 3 }, async (s) => {
        const { apiKey } = await s.tenant();
        const answers = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            s.api("POST", "/v1/password-recovery", {
              apiKey,
              body: { username: `nobody${i}` },
              scenario: "recovery: rate limited per source",
            }),
          ),
        );
        assert.equal(answers.filter((a) => a.status === 200).length, 3);
        const refused = answers.filter((a) => a.status !== 200);
        assert.equal(refused.length, 5);
        for (const r of refused) {
          assert.equal(r.status, 429);
          assert.equal(r.body.errorCode, TesseraApiCode.RateLimited);
          const retryAfter = Number(r.headers.get("retry-after"));
          assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        }
        const rid = answers.find((a) => a.status === 200)?.body.requestId;
        const read = await s.api("GET", `/v1/password-recovery/${String(rid)}`, {
          apiKey,
          scenario: "recovery: rate limited per source",
        });
        assert.equal(read.status, 429);
        // The window is one minute, as for /v1/auth/*.
        s.clock.advance(60_000);
        const later = await s.api("POST", "/v1/password-recovery", {
          apiKey,
          body: { username: "nobody-later" },
          scenario: "recovery: start",
        });
        assert.equal(later.status, 200);
      });
    });

    test("a burst for distinct users never opens more than 4 SMTP connections at once, and every e-mail arrives", async () => {
      await withSink({}, async (s, smtp) => {
        const { apiKey } = await s.tenant();
        const n = 16;
        await users(s, apiKey, n, "burst");
        const gate = smtp.hold();
        try {
          const answers = await recoverAll(s, apiKey, n, "burst");
          // Four sends are held at the sink; the rest wait in the queue, not on their own connection.
          await until(() => smtp.messages.length >= 4, "four e-mails reach the held sink");
          const states = await pollUntil(
            () =>
              mailStates(
                s,
                apiKey,
                answers.map((a) => a.body.requestId),
              ),
            (st) => count(st, "queued") >= 4,
          );
          assert.equal(count(states, "sent"), 0);
          assert.ok(smtp.connections.peak <= 4, `peak ${smtp.connections.peak} SMTP connections`);
          gate.release();
          const done = await pollUntil(
            () =>
              mailStates(
                s,
                apiKey,
                answers.map((a) => a.body.requestId),
              ),
            (st) => count(st, "sent") === n,
            20_000,
          );
          assert.equal(count(done, "sent"), n);
          for (let i = 0; i < n; i += 1) assert.equal(smtp.to(`burst${i}@mail.test`).length, 1);
          assert.ok(smtp.connections.peak <= 4, `peak ${smtp.connections.peak} SMTP connections`);
          assert.ok(smtp.connections.peak >= 1);
        } finally {
          gate.release();
        }
      });
    });

    test("a graceful stop bounded by shutdownTimeoutMs records the recoveries it could not start as failed and finishes the sends under way", async () => {
      const smtp = await startSmtpSink();
      const database = await createTestDatabase(backend);
      // No time for the queue at all (the default is 10 s), so that what waits is certainly left over.
      const server = await runServer(
        testConfig(database, { ...smtpFlags(smtp), "smtp.timeoutMs": 30_000, shutdownTimeoutMs: 0 }),
        { clock: new ManualClock(), logger: false },
      );
      const { db } = server.ctx.database;
      const gate = smtp.hold();
      try {
        const tenant = await createTenant(db, "stopping", Date.now());
        const { apiKey } = await createApiKey(db, tenant.id, "test", ["admin"], Date.now());
        const call = (path: string, body: unknown, scenario: string) =>
          apiRequest(`${server.url}${path}`, {
            method: "POST",
            scenario,
            headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
        for (let i = 0; i < 6; i += 1)
          await call("/v1/users", { username: `st${i}`, email: `st${i}@mail.test` }, "recovery: setup");
        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            call("/v1/password-recovery", { username: `st${i}` }, "recovery: start"),
          ),
        );
        assert.deepEqual(
          answers.map((a) => a.status),
          answers.map(() => 200),
        );
        // Four sends are held at the sink; two recoveries wait in the queue.
        await until(() => smtp.messages.length >= 4, "four e-mails reach the held sink");
        await stopWhileHeld(server, gate);
      } finally {
        gate.release();
      }
      const reopened = await openDatabase({
        dataDir: database.dataDir,
        databaseUrl: database.databaseUrl,
        poolSize: 1,
      });
      try {
        const rows = await storedMailStates(reopened);
        assert.deepEqual(rows.map((r) => r.mail_state).sort(), [
          "failed",
          "failed",
          "sent",
          "sent",
          "sent",
          "sent",
        ]);
        assert.equal(smtp.messages.length, 4);
      } finally {
        await reopened.close();
        await database.drop();
        await smtp.close();
      }
    });

    test("when the backlog is full, the overflow is recorded as a failed e-mail (9017), audited, and nothing is sent for it", async () => {
      // A backlog of one (the default is 1000) so that a small burst overflows it.
      await withSink({ "recovery.queueLimit": 1 }, async (s, smtp) => {
        const { apiKey } = await s.tenant();
        const n = 8;
        await users(s, apiKey, n, "over");
        const gate = smtp.hold();
        try {
          const answers = await recoverAll(s, apiKey, n, "over");
          const rids = answers.map((a) => a.body.requestId);
          // Four are being sent (held at the sink), one waits, the other three overflowed.
          const held = await pollUntil(
            () => mailStates(s, apiKey, rids),
            (st) => count(st, "queued") === 4 && count(st, "failed") === 3,
          );
          assert.equal(count(held, "sent"), 0);
          const failed = rids[held.indexOf("failed")];
          const read = await s.api("GET", `/v1/password-recovery/${String(failed)}`, {
            apiKey,
            scenario: "recovery: mail failed",
          });
          assert.equal(read.status, 200);
          assertOutcome(read, ApiReturnCode.PartnerUserSendPasswordEmailFailed);
          gate.release();
          const done = await pollUntil(
            () => mailStates(s, apiKey, rids),
            (st) => count(st, "sent") === 5,
          );
          assert.equal(count(done, "failed"), 3);
          assert.equal(smtp.messages.length, 5);
          const audited = await s.server.ctx.database.db
            .selectFrom("audit_events")
            .select("result_code")
            .where("operation", "=", "password-recovery e-mail")
            .execute();
          assert.deepEqual(
            audited.map((r) => Number(r.result_code)),
            [9017, 9017, 9017],
          );
        } finally {
          gate.release();
        }
      });
    });
  });
}
