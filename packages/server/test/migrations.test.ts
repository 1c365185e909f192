import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DatabaseSync } from "node:sqlite";
import { describe as suite, test } from "node:test";
import { Kysely, PostgresDialect } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { openDatabase } from "../src/storage/database.ts";
import { migrationProvider } from "../src/storage/migrations/index.ts";
import { migrationDialect } from "../src/storage/node-sqlite-adapter.ts";
import type { TestDatabase } from "./helpers/test-database.ts";
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

/** A database migrated up to and including `last`, as an older release left it. */
async function databaseAt(fresh: TestDatabase, last: string): Promise<AnyDb> {
  const db: AnyDb =
    fresh.databaseUrl === undefined
      ? new Kysely({ dialect: migrationDialect(new DatabaseSync(join(fresh.dataDir, "tessera.sqlite"))) })
      : new Kysely({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.databaseUrl }) }),
        });
  const all = await migrationProvider.getMigrations();
  const provider = {
    getMigrations: async () => Object.fromEntries(Object.entries(all).filter(([name]) => name <= last)),
  };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  assert.equal(error, undefined);
  return db;
}

/** A tenant row with the columns tenants had at 007 (before activation_codes). */
const tenantAt007 = (id: string) => ({
  id,
  name: id,
  disabled: 0,
  expires_at: null,
  allowed_ip_ranges: "[]",
  allowed_email_domains: "[]",
  password_max_failures: 5,
  lockout_base_seconds: 60,
  password_max_age_days: null,
  otp_max_failures: 5,
  otp_lockout_seconds: 300,
  created_at: 1,
  updated_at: 1,
  max_consecutive_failures: 100,
});

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

    test("an upgrade keeps existing tenants on two activation codes; a tenant created afterwards gets one", async () => {
      const fresh = await createTestDatabase(backend);
      const old = await databaseAt(fresh, "007-idempotency-claims");
      await old.insertInto("tenants").values(tenantAt007("before-upgrade")).execute();
      await old.destroy();
      const upgraded = await openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
      // Inserted without the column, as by code that predates it: the column's default applies.
      await (upgraded.db as AnyDb).insertInto("tenants").values(tenantAt007("after-upgrade")).execute();
      const codes = await upgraded.db
        .selectFrom("tenants")
        .select(["name", "activation_codes"])
        .orderBy("name")
        .execute();
      assert.deepEqual(
        codes.map((t) => [t.name, Number(t.activation_codes)]),
        [
          ["after-upgrade", 1],
          ["before-upgrade", 2],
        ],
      );
      await upgraded.close();
      await fresh.drop();
    });

    test("an upgrade gives existing apps the default offline grace period, 72 hours", async () => {
      const fresh = await createTestDatabase(backend);
      const old = await databaseAt(fresh, "024-sso-accounts");
      await old
        .insertInto("tenants")
        .values({ ...tenantAt007("apps"), activation_codes: 1 })
        .execute();
      await old
        .insertInto("sso_apps")
        .values({
          client_id: "older-app",
          tenant_id: "apps",
          name: "Older",
          kind: "native",
          secret_enc: null,
          redirect_uris: "[]",
          post_logout_redirect_uris: "[]",
          grant_types: '["authorization_code"]',
          scopes: "openid",
          second_factors: "[]",
          require_second_factor: 0,
          first_party: 1,
          created_at: 1,
          updated_at: 1,
        })
        .execute();
      await old.destroy();
      const upgraded = await openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
      const app = await upgraded.db
        .selectFrom("sso_apps")
        .select("offline_grace_hours")
        .executeTakeFirstOrThrow();
      assert.equal(Number(app.offline_grace_hours), 72);
      await upgraded.close();
      await fresh.drop();
    });

    test("an upgrade adds investment to OFX sites stored with all six bank and card types, not to narrower ones", async () => {
      const fresh = await createTestDatabase(backend);
      const old = await databaseAt(fresh, "034-radius-challenges");
      const all = "checking,savings,moneymrkt,cd,creditline,creditcard";
      const site = (id: string, accountTypes: string) => ({
        id,
        tenant_id: null,
        name: id,
        organisation: id,
        kind: "personal-banking",
        connector: "ofx",
        url: "https://ofx.example/ofx",
        fields: "[]",
        options: JSON.stringify({ org: "O", fid: "1", accountTypes }),
        max_concurrency: 4,
        enabled: 1,
        maintenance: "[]",
        tls_ca: null,
        created_at: 1,
        updated_at: 1,
      });
      await old
        .insertInto("link_sites")
        .values([site("all-types", all), site("cards-only", "creditcard")])
        .execute();
      await old.destroy();
      const upgraded = await openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
      const rows = await upgraded.db
        .selectFrom("link_sites")
        .select(["id", "options"])
        .orderBy("id")
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.id, JSON.parse(r.options)]),
        [
          ["all-types", { org: "O", fid: "1", accountTypes: `${all},investment` }],
          ["cards-only", { org: "O", fid: "1", accountTypes: "creditcard" }],
        ],
      );
      await upgraded.close();
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
