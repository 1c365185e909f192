import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { sql } from "kysely";
import { type Database, openDatabase } from "../../src/storage/database.ts";
import { normaliseUsername } from "../../src/users/username.ts";
import { apiRequest } from "./api-client.ts";
import { endsWith, timelineAt, waitFor } from "./link.ts";
import { runCli } from "./run-cli.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";
import { type Backend, createTestDatabase, type TestDatabase } from "./test-database.ts";

/**
 * A real `tessera start` process for the fuzz, with something of every kind in it (a user, a HOTP
 * and a TOTP token, a synced Link credential with accounts and transactions), so that requests
 * naming existing things reach past the lookups. It runs in its own process: a request that
 * blocks the event loop then misses its deadline instead of freezing the test.
 */
export interface FuzzTarget {
  readonly url: string;
  readonly apiKey: string;
  /** Values that exist on the server, by the name of the field or parameter that carries them. */
  readonly known: Record<string, readonly string[]>;
  /**
   * Every table's rows, minus the columns a refused request may legitimately update, one line per
   * table; taken once the background work of the requests answered so far has written.
   */
  snapshot(): Promise<string>;
  /**
   * An answered password recovery goes on after its answer (start-recovery.ts): for a known
   * username its row is written later, so the next snapshot waits for it.
   */
  recoveryAnswered(requestBody: Buffer | undefined, answer: string): void;
  close(): Promise<void>;
}

export const DEADLINE_MS = 5000;

/** Columns (or whole tables) that a refused request updates by design: failure counters, the audit trail. */
const mayChange: Record<string, readonly string[] | "table"> = {
  audit_events: "table",
  audit_head: "table",
  audit_checkpoints: "table",
  source_failures: "table",
  rate_limits: "table",
  refused_requests: "table",
  users: ["failed_attempts", "lock_count", "consecutive_failures", "locked_until", "updated_at"],
  api_keys: ["last_used_at"],
  authenticators: ["failures", "lock_count", "consecutive_failures", "locked_until", "updated_at"],
};

export async function startFuzzTarget(backend: Backend): Promise<FuzzTarget> {
  const database: TestDatabase = await createTestDatabase(backend);
  const data = [
    "--data-dir",
    database.dataDir,
    ...(database.databaseUrl === undefined ? [] : ["--database-url", database.databaseUrl]),
  ];
  const created = await runCli([...data, "tenant", "create", "fuzz", "--json"], { scenario: "fuzz: setup" });
  const apiKey = JSON.parse(created.stdout).apiKey as string;
  const server: ServerProcess = await startServerProcess(data, {
    // Loosened for the fuzz only: every request comes from 127.0.0.1, and a third of them carry a
    // bad key; with the default limit the loopback address would be locked out after 20 and the
    // rest of the run would see nothing but 429.
    TESSERA_API_KEY_FAILURE_LIMIT: "10000",
    // Likewise the /v1/auth limits: the fuzz sends thousands of authentication requests from one
    // address, and its read-back must still reach the code search after each of them.
    TESSERA_RATE_LIMIT_AUTH_PER_SOURCE: "1000000",
    TESSERA_RATE_LIMIT_AUTH_PER_TENANT: "10000000",
    // The Sandbox Bank (loopback only) gives the fuzz a synced credential to aim at on PostgreSQL
    // too, where it is off by default.
    TESSERA_LINK_SANDBOX: "on",
  });
  const direct: Database = await openDatabase({
    dataDir: database.dataDir,
    databaseUrl: database.databaseUrl,
  });
  const call = async (method: string, path: string, body: unknown) => {
    const r = await apiRequest(`${server.url}${path}`, {
      method,
      scenario: "fuzz: setup",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.ok(r.status < 300, `${method} ${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  await call("POST", "/v1/users", { username: "alice", password: "correct horse" });
  await call("POST", "/v1/authenticators", {
    type: "hotp",
    serial: "FUZZ-H",
    username: "alice",
    secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
  });
  await call("POST", "/v1/authenticators", { type: "totp", serial: "FUZZ-T" });
  const connected = (await call("POST", "/v1/link/credentials", {
    username: "alice",
    site: "sandbox-bank",
    fields: { login: "user_good", password: "sandbox" },
  })) as unknown as { credential: { id: string }; job: { id: string } };
  await waitFor(timelineAt(server.url, apiKey), connected.job.id, "fuzz: setup", endsWith(200));
  const accounts = await direct.db.selectFrom("link_accounts").select("id").execute();
  const ids = [connected.credential.id, connected.job.id, ...accounts.map((a) => a.id)];
  const recoveries: Recovery[] = [];

  return {
    url: server.url,
    apiKey,
    known: {
      username: ["alice"],
      user: ["alice"],
      serial: ["FUZZ-H", "FUZZ-T"],
      type: ["hotp", "totp"],
      site: ["sandbox-bank"],
      id: ids,
      credential: [connected.credential.id],
      account: accounts.map((a) => a.id),
      otp: ["123456", "00000000"],
      otp1: ["123456"],
      otp2: ["654321"],
      password: ["correct horse"],
    },
    recoveryAnswered(requestBody, answer) {
      const { username } = JSON.parse(requestBody?.toString().replace(/^\uFEFF/, "") ?? "{}") as {
        username: string;
      };
      const { requestId } = JSON.parse(answer) as { requestId: string };
      recoveries.push({ username, requestId });
    },
    async snapshot() {
      await settled(direct);
      await recoveriesWritten(direct, recoveries.splice(0));
      const tables = Object.keys(await tableNames(direct)).sort();
      const parts: string[] = [];
      for (const table of tables) {
        const skip = mayChange[table];
        if (skip === "table") continue;
        const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`
          .execute(direct.db)
          .then((r) => r.rows)
          .catch((error: Error) => {
            // node:sqlite refuses to read an integer past 2^53: some request stored one.
            throw new Error(`${table} holds a value no reader can load: ${error.message}`);
          });
        const kept = rows.map((row) => {
          const copy = { ...row };
          for (const column of skip ?? []) delete copy[column];
          return JSON.stringify(copy);
        });
        // A tab never occurs in JSON text (it is escaped there): it separates rows unambiguously.
        parts.push(`${table}:${kept.sort().join("\t")}`);
      }
      return parts.join("\n");
    },
    async close() {
      await direct.close();
      await server.stop("SIGKILL");
      await database.drop();
    },
  };
}

/**
 * Link jobs an accepted request started write in the background: wait until they are done (a
 * job's data are all in before it is) and their worker has given back its site slot (just after).
 */
async function settled(database: Database): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const busy =
      (await database.db
        .selectFrom("link_jobs")
        .select("id")
        .where("phase", "!=", "done")
        .executeTakeFirst()) ??
      (await database.db
        .selectFrom("link_site_slots")
        .select("job_id as id")
        .where("job_id", "is not", null)
        .executeTakeFirst());
    if (busy === undefined) return;
    assert.ok(Date.now() < deadline, `link job ${busy.id} did not finish`);
    await delay(20);
  }
}

interface Recovery {
  readonly username: string;
  readonly requestId: string;
}

/**
 * Answered recoveries of known usernames have written their row in its final state (refused,
 * sent or failed: a "queued" one still sends its e-mail and records how it went). An unknown
 * username's recovery writes nothing, by design, so there is nothing to wait for. The fuzz has
 * one tenant, and it is the only writer while this runs: whether the user exists cannot change.
 */
async function recoveriesWritten(database: Database, recoveries: readonly Recovery[]): Promise<void> {
  for (const { username, requestId } of recoveries) {
    const user = await database.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", normaliseUsername(username))
      .executeTakeFirst();
    if (user === undefined) continue;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const row = await database.db
        .selectFrom("password_recoveries")
        .select("mail_state")
        .where("id", "=", requestId)
        .executeTakeFirst();
      if (row !== undefined && row.mail_state !== "queued") break;
      assert.ok(Date.now() < deadline, `password recovery ${requestId} was never recorded`);
      await delay(20);
    }
  }
}

/**
 * What changed between two snapshots, table by table: the rows one has and the other lacks. The
 * snapshots are one line per table, and an assertion's diff of two such strings points at the
 * longest line near the change rather than at the change.
 */
export function changedTables(before: string, after: string): string[] {
  const tables = (snapshot: string) =>
    new Map(snapshot.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line] as const));
  const was = tables(before);
  const is = tables(after);
  const rows = (line: string | undefined) => {
    const body = line?.slice(line.indexOf(":") + 1) ?? "";
    return new Set(body === "" ? [] : body.split("\t"));
  };
  const changes: string[] = [];
  for (const table of new Set([...was.keys(), ...is.keys()])) {
    if (was.get(table) === is.get(table)) continue;
    const old = rows(was.get(table));
    const now = rows(is.get(table));
    const gone = [...old].filter((r) => !now.has(r));
    const added = [...now].filter((r) => !old.has(r));
    changes.push(`${table}: -${JSON.stringify(gone).slice(0, 600)} +${JSON.stringify(added).slice(0, 600)}`);
  }
  return changes;
}

async function tableNames(database: Database): Promise<Record<string, true>> {
  const names =
    database.dialect === "sqlite"
      ? await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(
          database.db,
        )
      : await sql<{
          name: string;
        }>`select tablename as name from pg_tables where schemaname = current_schema() and tablename not like 'kysely_%'`.execute(
          database.db,
        );
  return Object.fromEntries(names.rows.map((r) => [r.name, true] as const));
}

/** A raw HTTP exchange with a deadline, so that bodies and headers fetch would refuse can be sent too. */
export function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) },
        signal: AbortSignal.timeout(DEADLINE_MS),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            type: String(res.headers["content-type"] ?? ""),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", (error) =>
      reject(
        error.name === "AbortError" || error.name === "TimeoutError"
          ? new Error(`no answer to ${method} ${path.slice(0, 200)} within ${DEADLINE_MS} ms`)
          : error,
      ),
    );
    req.end(body);
  });
}

/** After every request the server must still answer its health check within the deadline. */
export async function assertHealthy(url: string, after: string): Promise<void> {
  const r = await send(url, "GET", "/health", {}, undefined).catch((error: Error) => {
    throw new Error(`/health did not answer after ${after}: ${error.message}`);
  });
  assert.equal(r.status, 200, `/health after ${after}`);
}
