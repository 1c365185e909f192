import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe as suite, test } from "node:test";
import type { Kysely } from "kysely";
import { openDatabase } from "../src/storage/database.ts";
import { migrationProvider } from "../src/storage/migrations/index.ts";
import { backends, createTestDatabase } from "./helpers/test-database.ts";

const shipped = Object.keys(await migrationProvider.getMigrations()).sort();
const script = new URL("./helpers/migrate-process.ts", import.meta.url).pathname;

// biome-ignore lint/suspicious/noExplicitAny: a test migration, like a shipped one, sees any schema
type AnyDb = Kysely<any>;

async function migrationNames(db: AnyDb): Promise<string[]> {
  const rows = await db.selectFrom("kysely_migration").select("name").orderBy("name").execute();
  return rows.map((r) => String(r.name));
}

async function tableExists(db: AnyDb, name: string): Promise<boolean> {
  const tables = await db.introspection.getTables();
  return tables.some((t) => t.name === name);
}

/** Migration 900, which creates a table; the broken version fails after creating it. */
const createHalfDone = (db: AnyDb) =>
  db.schema
    .createTable("half_done")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .execute();
const broken = {
  up: async (db: AnyDb) => {
    await createHalfDone(db);
    throw new Error("the second half of this migration fails");
  },
};
const fixed = { up: createHalfDone };

for (const backend of backends) {
  suite(`migrations (${backend})`, () => {
    test("a migration failing halfway leaves the database at the previous version; a fixed one then applies", async () => {
      const fresh = await createTestDatabase(backend);
      const options = { dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl };
      await (await openDatabase(options)).close();
      await assert.rejects(
        openDatabase({ ...options, extraMigrations: { "900-half": broken } }),
        /database migration 900-half failed: the second half of this migration fails/,
      );
      const after = await openDatabase(options);
      assert.deepEqual(await migrationNames(after.db), shipped, "still at the previous version");
      assert.equal(
        await tableExists(after.db, "half_done"),
        false,
        "nothing of the failed migration is left",
      );
      await after.close();
      const repaired = await openDatabase({ ...options, extraMigrations: { "900-half": fixed } });
      assert.deepEqual(await migrationNames(repaired.db), [...shipped, "900-half"]);
      assert.equal(await tableExists(repaired.db, "half_done"), true);
      await repaired.close();
      await fresh.drop();
    });

    test("four processes migrating one fresh database at once all succeed, and each migration runs once", async () => {
      const fresh = await createTestDatabase(backend);
      const args = [script, fresh.dataDir, ...(fresh.databaseUrl === undefined ? [] : [fresh.databaseUrl])];
      const children = Array.from({ length: 4 }, () =>
        spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] }),
      );
      const outcomes = children.map(async (child) => {
        let stderr = "";
        child.stderr.on("data", (chunk) => {
          stderr += chunk;
        });
        const [code] = (await once(child, "exit")) as [number | null];
        return { code, stderr };
      });
      // Released together once all are loaded, so the migrations overlap.
      await Promise.all(
        children.map(async (child) => {
          const lines = createInterface({ input: child.stdout });
          const [line] = (await once(lines, "line")) as [string];
          assert.equal(line, "ready");
        }),
      );
      for (const child of children) child.stdin.end("go\n");
      for (const { code, stderr } of await Promise.all(outcomes)) assert.equal(code, 0, stderr);
      const opened = await openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
      assert.deepEqual(await migrationNames(opened.db), shipped);
      await opened.close();
      await fresh.drop();
    });
  });
}
