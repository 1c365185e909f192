import assert from "node:assert/strict";
import { test } from "node:test";
import { apiRequest } from "./helpers/api-client.ts";
import { startProcessPair } from "./helpers/process-pair.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";

// The default log level: startServerProcess waits for the info line "tessera listening".
const env = {};
const inUse = (dataDir: string) =>
  new RegExp(`data directory ${dataDir} is in use by another tessera server .*PostgreSQL`);

test("a second `tessera start` on a SQLite data directory refuses, naming the directory, the holder's pid and PostgreSQL", async () => {
  const first = await startServerProcess([], env);
  try {
    // Bounded either way: a second server that listens is stopped and fails the test.
    const second = await startServerProcess(["--data-dir", first.dataDir], env).then(
      async (server) => {
        await server.stop("SIGKILL");
        return "the second server listens";
      },
      (error: unknown) => String(error),
    );
    assert.match(second, /exited with 1 before listening/);
    assert.match(second, inUse(first.dataDir));
    assert.match(second, new RegExp(`\\(pid ${first.child.pid}\\)`));
    const health = await apiRequest(`${first.url}/health`, { scenario: "sqlite lock: first still serves" });
    assert.equal(health.status, 200, "the first server is untouched");
  } finally {
    await first.stop("SIGKILL");
  }
});

test("a burst of servers started together on one SQLite directory: exactly one listens", async () => {
  const seed = await startServerProcess([], env);
  await seed.stop("SIGTERM");
  const started = await Promise.allSettled(
    Array.from({ length: 4 }, () => startServerProcess(["--data-dir", seed.dataDir], env)),
  );
  const running = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  try {
    assert.equal(running.length, 1, "one server listens");
    for (const s of started) if (s.status === "rejected") assert.match(String(s.reason), inUse(seed.dataDir));
  } finally {
    for (const server of running) await server.stop("SIGKILL");
  }
});

test("a killed server leaves no stale claim: the next server on the directory starts", async () => {
  const killed = await startServerProcess([], env);
  assert.equal(await killed.stop("SIGKILL"), null, "killed, not exited");
  let next: ServerProcess | undefined;
  try {
    next = await startServerProcess(["--data-dir", killed.dataDir], env);
    const health = await apiRequest(`${next.url}/health`, { scenario: "sqlite lock: after a crash" });
    assert.equal(health.status, 200);
    // And a gracefully stopped one releases it too.
    assert.equal(await next.stop("SIGTERM"), 0);
    next = await startServerProcess(["--data-dir", killed.dataDir], env);
  } finally {
    await next?.stop("SIGKILL");
  }
});

test("CLI commands keep working on the directory of a running server, waiting for its writes", async () => {
  const server = await startServerProcess([], env);
  try {
    const data = ["--data-dir", server.dataDir];
    const scenario = "sqlite lock: CLI beside a server";
    const tenant = await runCli([...data, "tenant", "create", "beside", "--json"], { env, scenario });
    assert.equal(tenant.status, 0, tenant.stderr);
    const users = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        runCli([...data, "user", "create", "--tenant", "beside", `u${i}`, "--json"], { env, scenario }),
      ),
    );
    for (const r of users) assert.equal(r.status, 0, r.stdout + r.stderr);
    const list = await runCli([...data, "tenant", "list", "--json"], { env, scenario });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /"beside"/);
    // The server sees what the CLI wrote, through the same database.
    const { apiKey } = JSON.parse(tenant.stdout) as { apiKey: string };
    const listed = await apiRequest(`${server.url}/v1/users`, {
      headers: { authorization: `Bearer ${apiKey}` },
      scenario,
    });
    assert.equal((listed.body.users as unknown[]).length, 4);
  } finally {
    await server.stop("SIGKILL");
  }
});

test("servers on PostgreSQL claim nothing: two processes with one data directory both serve", async () => {
  const pair = await startProcessPair("lockless", "sqlite lock: PostgreSQL pair", env);
  try {
    for (const server of [pair.a, pair.b]) {
      const health = await apiRequest(`${server.url}/health`, { scenario: "sqlite lock: PostgreSQL pair" });
      assert.equal(health.status, 200);
    }
  } finally {
    await pair.close();
  }
});
