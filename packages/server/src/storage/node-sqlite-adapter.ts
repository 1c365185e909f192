import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
  type SqliteStatement,
} from "kysely";

/**
 * Kysely's SqliteDialect speaks the better-sqlite3 interface; node:sqlite differs in two ways:
 * parameters are spread rather than passed as an array, and a statement says whether it returns
 * rows through columns() rather than a `reader` flag. Prepared statements are cached because the
 * same few queries run on every request.
 */
export function adaptNodeSqlite(database: DatabaseSync): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = wrap(database.prepare(sql));
        if (cache.size > 500) cache.clear();
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

function wrap(statement: StatementSync): SqliteStatement {
  const params = (parameters: ReadonlyArray<unknown>) => parameters.map(toSqliteValue);
  const reader = statement.columns().length > 0;
  // node:sqlite throws on reading an integer past 2^53 unless it reads BigInts: one such value
  // (a counter an earlier release imported) would make every query touching its row fail, and
  // the row could not even be deleted. Read BigInts and hand out numbers, as PostgreSQL's does.
  if (reader) statement.setReadBigInts(true);
  return {
    reader,
    all: (parameters) => statement.all(...params(parameters)).map(bigintsToNumbers),
    run: (parameters) => statement.run(...params(parameters)),
    iterate: function* (parameters) {
      for (const row of statement.iterate(...params(parameters))) yield bigintsToNumbers(row);
    },
  };
}

/** A row read with setReadBigInts, its integers as numbers (past 2^53 rounded, never an error). */
export function bigintsToNumbers<Row>(row: Row): Row {
  const record = row as Record<string, unknown>;
  for (const key in record) if (typeof record[key] === "bigint") record[key] = Number(record[key]);
  return row;
}

/** node:sqlite binds no booleans or undefined; store them as SQLite does natively. */
export function toSqliteValue(value: unknown): SQLInputValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === undefined) return null;
  return value as SQLInputValue;
}

/**
 * The dialect migrations run with, over the server's own connection. Kysely's SQLite adapter runs
 * migrations outside any transaction and without a lock (it assumes one connection, but the CLI and
 * a server are two processes): a crash halfway left a half-applied schema, and two processes
 * migrating at once both created the same tables. SQLite does have transactional DDL, so here the
 * whole run is one transaction, begun IMMEDIATE: that takes the write lock before the migrator
 * reads which migrations are pending, so another process waits for it (busy timeout) and then
 * finds nothing left to do; and a failing migration rolls everything of the run back. This is what
 * Kysely does on PostgreSQL (one transaction under an advisory lock). Inside a transaction SQLite
 * ignores `PRAGMA foreign_keys`: a migration that rebuilds a table uses `PRAGMA defer_foreign_keys`.
 */
export function migrationDialect(database: DatabaseSync): SqliteDialect {
  // The server keeps using the connection after migrating: the migration Kysely must not close it.
  const shared: SqliteDatabase = { ...adaptNodeSqlite(database), close: () => {} };
  return new MigrationDialect({ database: shared });
}

class MigrationDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;
  constructor(config: { database: SqliteDatabase }) {
    super(config);
    this.#database = config.database;
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlAdapter();
  }
  override createDriver(): Driver {
    return new ImmediateTransactionDriver({ database: this.#database });
  }
}

class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}
