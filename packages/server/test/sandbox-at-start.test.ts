import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe as suite, test } from "node:test";
import { keyedClient } from "./helpers/api-client.ts";
import { runCli } from "./helpers/run-cli.ts";
import { startServerProcess } from "./helpers/server-process.ts";
import { createTestDatabase } from "./helpers/test-database.ts";

/**
 * The Sandbox Bank is a fake bank every tenant could connect to: a real `tessera start` serves it
 * only when asked for or on the embedded quick-start database, and its first log line says which.
 */
suite("the Sandbox Bank at start", () => {
  /** Starts a real server on `data` with one tenant; its first log line and its sites. */
  const start = async (data: readonly string[], env: Record<string, string>, scenario: string) => {
    const created = await runCli([...data, "tenant", "create", "acme", "--json"], { scenario });
    const apiKey = JSON.parse(created.stdout).apiKey as string;
    const server = await startServerProcess(data, env);
    try {
      const sites = await keyedClient(server.url, apiKey)("GET", "/v1/link/sites", scenario);
      assert.equal(sites.status, 200);
      const ids = (sites.body.sites as { id: string }[]).map((site) => site.id);
      return { first: server.logs[0] ?? {}, ids };
    } finally {
      await server.stop();
    }
  };
  const sandboxSites = (ids: string[]) => ids.filter((id) => id.startsWith("sandbox-bank"));

  test("embedded SQLite (the quick start): served, and the first log line says where and why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-sandbox-"));
    try {
      const { first, ids } = await start(["--data-dir", dir], {}, "sandbox at start: sqlite");
      assert.match(
        String(first.msg),
        /^Sandbox Bank served at http:\/\/127\.0\.0\.1:\d+ \(link\.sandbox=auto on the embedded SQLite database; set link\.sandbox=off for production\)$/,
      );
      assert.equal((first.sandbox as { served: boolean }).served, true);
      assert.deepEqual(sandboxSites(ids), ["sandbox-bank", "sandbox-bank-business", "sandbox-bank-ofx"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("embedded SQLite with link.sandbox=off: not served, not listed, and the first line says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-sandbox-"));
    try {
      const { first, ids } = await start(
        ["--data-dir", dir],
        { TESSERA_LINK_SANDBOX: "off" },
        "sandbox at start: sqlite off",
      );
      assert.equal(first.msg, "Sandbox Bank off (link.sandbox=off; link.sandbox=on serves it)");
      assert.deepEqual(sandboxSites(ids), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("PostgreSQL: off by default, not listed, and the first log line says so", async () => {
    const database = await createTestDatabase("postgres");
    try {
      const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
      const { first, ids } = await start(data, {}, "sandbox at start: postgres");
      assert.equal(
        first.msg,
        "Sandbox Bank off (link.sandbox=auto with PostgreSQL; link.sandbox=on serves it)",
      );
      assert.deepEqual(first.sandbox, { served: false, url: null });
      assert.deepEqual(sandboxSites(ids), []);
    } finally {
      await database.drop();
    }
  });

  test("PostgreSQL with link.sandbox=on: served and listed, and the first log line says so", async () => {
    const database = await createTestDatabase("postgres");
    try {
      const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
      const { first, ids } = await start(
        data,
        { TESSERA_LINK_SANDBOX: "on" },
        "sandbox at start: postgres on",
      );
      assert.match(
        String(first.msg),
        /^Sandbox Bank served at http:\/\/127\.0\.0\.1:\d+ \(link\.sandbox=on; set link\.sandbox=off for production\)$/,
      );
      assert.deepEqual(sandboxSites(ids), ["sandbox-bank", "sandbox-bank-business", "sandbox-bank-ofx"]);
    } finally {
      await database.drop();
    }
  });
});
