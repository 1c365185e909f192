import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import { type Migration, Migrator } from "kysely/migration";
import { migrationProvider } from "./migrations/index.ts";
import { adaptNodeSqlite, migrationDialect } from "./node-sqlite-adapter.ts";
import { allowDirectSqlite, allowNamedStatements } from "./prepared-query.ts";
import type { Schema } from "./schema.ts";

export type DialectName = "sqlite" | "postgres";

export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  /**
   * The SQLite handle under Kysely, for the few synchronous batches where Kysely's per-statement
   * overhead dominates (the audit flush). Use it only inside `db.connection().execute(...)`, which
   * holds Kysely's connection lock, and never across an await.
   */
  readonly sqlite?: DatabaseSync;
  /** Where the data is, without credentials, for logs. */
  readonly location: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  readonly poolSize?: number;
  /** Tests only: migrations run after the shipped ones (to make one fail halfway). */
  readonly extraMigrations?: Readonly<Record<string, Migration>>;
}

const INT8_OID = 20;
/** How long a SQLite write waits for another process's write lock. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
/** How long a SQLite migration waits for another process's migration to finish. */
const MIGRATION_LOCK_WAIT_MS = 600_000;

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database =
    options.databaseUrl === undefined ? openSqlite(options.dataDir) : await openPostgres(options);
  try {
    await migrate(database, options.extraMigrations ?? {});
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

function openSqlite(dataDir: string): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "tessera.sqlite");
  const sqlite = new DatabaseSync(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  // The directory is 0700 when Tessera creates it; the file is private too in case it was not.
  chmodSync(file, 0o600);
  // WAL with synchronous=NORMAL survives a killed process without losing a committed write;
  // foreign keys are off by default in SQLite and the schema relies on them.
  enableWal(sqlite);
  sqlite.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: adaptNodeSqlite(sqlite) }) });
  allowDirectSqlite(db, sqlite);
  return { db, dialect: "sqlite", sqlite, location: file, close: () => db.destroy() };
}

/**
 * Switches a database to WAL. On a fresh file opened by several processes at once (a server and a
 * CLI after an upgrade), the switch needs a lock that SQLite refuses at once with SQLITE_BUSY,
 * without waiting for the busy timeout, while another process holds it: so it is retried, within
 * the same bound as any other lock wait. Only at start, so a synchronous pause is harmless.
 */
function enableWal(sqlite: DatabaseSync): void {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      sqlite.exec("PRAGMA journal_mode = WAL;");
      return;
    } catch (error) {
      if ((error as { errcode?: number }).errcode !== 5 || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** pg is loaded only when PostgreSQL is configured; the embedded default never needs it. */
async function openPostgres(options: DatabaseOptions): Promise<Database> {
  const { default: pg } = await import("pg");
  const url = new URL(options.databaseUrl as string);
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    // Times are epoch milliseconds in bigint columns: well inside the safe-integer range.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  allowNamedStatements(db, pool);
  return {
    db,
    dialect: "postgres",
    location: `postgres://${url.host}${url.pathname}`,
    close: () => db.destroy(),
  };
}

/**
 * Brings the schema up to date. On PostgreSQL, Kysely runs all pending migrations in one transaction
 * under an advisory lock. On SQLite, the migration dialect does the same with BEGIN IMMEDIATE (see
 * migrationDialect); while it runs, another process's migration may wait longer than a normal
 * write does, since SQLite releases the lock of a process that dies, so waiting is never for a ghost.
 */
async function migrate(database: Database, extra: Readonly<Record<string, Migration>>): Promise<void> {
  const provider = {
    getMigrations: async () => ({ ...(await migrationProvider.getMigrations()), ...extra }),
  };
  const raw = database.sqlite;
  const db = raw === undefined ? database.db : new Kysely<Schema>({ dialect: migrationDialect(raw) });
  raw?.exec(`PRAGMA busy_timeout = ${MIGRATION_LOCK_WAIT_MS}`);
  try {
    const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
      throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
    }
  } finally {
    raw?.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // The migration Kysely's close leaves the shared connection open (migrationDialect).
    if (db !== database.db) await db.destroy();
  }
}
