import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe as suite, test } from "node:test";
import { apiRequest } from "./helpers/api-client.ts";
import { runCli } from "./helpers/run-cli.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.ts";

suite("tessera start", () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(async () => {
    await server.stop("SIGKILL");
  });

  test("GET /health answers with the success envelope and a request id", async () => {
    const { status, body, headers } = await apiRequest(`${server.url}/health`, { scenario: "health" });
    assert.equal(status, 200);
    assert.deepEqual(body, {
      errorCode: 0,
      errorName: "Success",
      errorMessage: "The operation succeeded.",
      status: "ok",
    });
    assert.match(headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  test("an unknown route is a 404 with the NotFound extension code, naming the route", async () => {
    const { status, body } = await apiRequest(`${server.url}/v1/nothing-here?x=1`, {
      scenario: "unknown route",
    });
    assert.equal(status, 404);
    assert.equal(body.errorCode, 9903);
    assert.equal(body.errorName, "NotFound");
    assert.equal(body.errorMessage, "No route GET /v1/nothing-here.");
  });

  test("SIGTERM stops the server cleanly with exit code 0", async () => {
    const code = await server.stop("SIGTERM");
    assert.equal(code, 0);
    assert.ok(server.logs.some((entry) => entry.msg === "shutting down" && entry.signal === "SIGTERM"));
    assert.equal(server.logs.at(-1)?.msg, "stopped", "the last line says the server has stopped");
    await assert.rejects(fetch(`${server.url}/health`));
  });
});

test("the server's log never contains an API key, a password or a session token", async () => {
  const server = await startServerProcess([], { TESSERA_LOG_LEVEL: "debug" });
  try {
    const created = await runCli(["--data-dir", server.dataDir, "tenant", "create", "logs", "--json"], {
      scenario: "logs: setup",
    });
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
    const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
    const post = (path: string, body: unknown) =>
      apiRequest(`${server.url}${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        scenario: "logs: traffic",
      });
    await post("/v1/users", { username: "lou", password: "a very secret password" });
    await post("/v1/auth/password", { username: "lou", password: "a wrong secret password" });
    const token = String(
      (await post("/v1/sessions", { username: "lou", durationMinutes: 5, type: "web" })).body.sessionToken,
    );
    await apiRequest(`${server.url}/v1/sessions/${token}`, { headers, scenario: "logs: traffic" });
    await server.stop("SIGTERM");
    const text = JSON.stringify(server.logs);
    assert.ok(
      server.logs.some((l) => l.msg === "request completed" && typeof l.url === "string"),
      "requests are logged",
    );
    assert.match(text, /\/v1\/sessions\/\[redacted\]/);
    for (const secret of [
      apiKey,
      // The secret part alone (it may itself contain "_", so it is cut by position, not split).
      apiKey.slice("tsk_".length + 16 + 1),
      "a very secret password",
      "a wrong secret password",
      token,
    ]) {
      assert.ok(!text.includes(secret), "a secret reached the log");
    }
  } finally {
    await server.stop("SIGKILL");
  }
});

test("a bad --port is refused with a message naming the option", () => {
  const cli = new URL("../bin/tessera.js", import.meta.url).pathname;
  const result = spawnSync(process.execPath, [cli, "start", "--port", "http"], { encoding: "utf8" });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /port \(command line\) must be an integer from 0 to 65535/);
});

test("server.lock is private like the rest of the data directory (0600)", async () => {
  const server = await startServerProcess();
  try {
    assert.equal(statSync(join(server.dataDir, "server.lock")).mode & 0o777, 0o600);
  } finally {
    await server.stop("SIGKILL");
  }
});

test("a port in use says that another process listens there and how to choose another", async () => {
  const first = await startServerProcess();
  try {
    const port = new URL(first.url).port;
    // Another data directory, so that the port, not the SQLite lock, is what refuses.
    const second = await startServerProcess(["--port", port]).then(
      async (server) => {
        await server.stop("SIGKILL");
        return "the second server listens";
      },
      (error: unknown) => String(error),
    );
    assert.match(second, /exited with 1 before listening/);
    assert.match(
      second,
      new RegExp(`EADDRINUSE.*:${port}; another process listens there; use --port or TESSERA_PORT`),
    );
  } finally {
    await first.stop("SIGKILL");
  }
});
