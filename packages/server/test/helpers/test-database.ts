import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/**
 * Every storage and API suite runs once per backend. Each run gets its own empty database: a new
 * data directory for SQLite, a new database in the test cluster for PostgreSQL (the test command
 * starts one and exports TESSERA_TEST_DATABASE_URL).
 */
export type Backend = "sqlite" | "postgres";
export const backends: readonly Backend[] = ["sqlite", "postgres"];

export interface TestDatabase {
  readonly backend: Backend;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-test-"));
  if (backend === "sqlite") {
    return {
      backend,
      dataDir,
      databaseUrl: undefined,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const admin = process.env.TESSERA_TEST_DATABASE_URL;
  if (admin === undefined || admin === "") {
    throw new Error(
      "TESSERA_TEST_DATABASE_URL is not set: run the suites through `npm test`, which starts PostgreSQL",
    );
  }
  const name = `tessera_test_${randomBytes(6).toString("hex")}`;
  await withAdmin(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    backend,
    dataDir,
    databaseUrl: url.toString(),
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await withAdmin(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
