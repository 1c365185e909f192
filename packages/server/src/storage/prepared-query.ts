import { createHash } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type Compilable, CompiledQuery, type Kysely } from "kysely";
import type { Pool, QueryResultRow } from "pg";
import { bigintsToNumbers, toSqliteValue } from "./node-sqlite-adapter.ts";

/**
 * Queries built and compiled once, then executed with new values: the hot paths (API key, session,
 * user and token look-ups, spending a one-time code) run on every request, and building a Kysely
 * query costs more than SQLite takes to answer it. Placeholders are sentinel values found in the
 * compiled parameter list.
 *
 * On SQLite the statement runs directly on the connection when no transaction is open on it. A
 * statement outside a transaction is atomic on its own, and node:sqlite runs it synchronously, so
 * nothing can interleave; Kysely's connection lock, which costs more than the statement here, only
 * matters while a transaction holds the connection across awaits, and then the query waits for it
 * through Kysely like any other.
 *
 * On PostgreSQL the statement is a named prepared statement on whichever pooled connection runs it
 * (as Kysely would pick one): the server parses it once per connection and, after a few runs,
 * plans it once, where an unnamed statement is parsed and planned on every request.
 *
 * Both paths bypass Kysely's plugins, so the database has none.
 */
type Build<Params, Row> = (param: <K extends keyof Params & string>(name: K) => Params[K]) => Compilable<Row>;
type Result<Row> = { rows: Row[]; changes: number };

const sqliteHandles = new WeakMap<object, DatabaseSync>();
const postgresPools = new WeakMap<object, Pool>();

/** Lets prepared queries on `db` run directly on its SQLite connection (see above). */
export function allowDirectSqlite<Db>(db: Kysely<Db>, sqlite: DatabaseSync): void {
  sqliteHandles.set(db, sqlite);
}

/** Lets prepared queries on `db` run as named statements on its PostgreSQL pool (see above). */
export function allowNamedStatements<Db>(db: Kysely<Db>, pool: Pool): void {
  postgresPools.set(db, pool);
}

/** The query compiled once, and how to bind a run's values to its placeholders. */
function compile<Params extends Record<string, unknown>, Row>(build: Build<Params, Row>) {
  const sentinels = new Map<unknown, string>();
  const compiled = build(((name: string) => {
    const sentinel = `\u0000param:${name}\u0000`;
    sentinels.set(sentinel, name);
    return sentinel;
  }) as never).compile();
  const slots = compiled.parameters.map((value) => sentinels.get(value));
  const bind = (params: Params) =>
    compiled.parameters.map((value, i) => {
      const name = slots[i];
      return name === undefined ? value : params[name];
    });
  return { sql: compiled.sql, bind };
}

function prepare<Db, Params extends Record<string, unknown>, Row>(
  db: Kysely<Db>,
  build: Build<Params, Row>,
): (params: Params) => Promise<Result<Row>> {
  const compiled = compile(build);
  const { bind } = compiled;
  const sqlite = sqliteHandles.get(db);
  const pool = postgresPools.get(db);
  // Named by content, so the same text always has the same name on a connection.
  const name = `tessera_${createHash("sha256").update(compiled.sql).digest("hex").slice(0, 32)}`;
  let direct: { statement: StatementSync; reader: boolean } | undefined;
  return async (params) => {
    if (pool !== undefined) {
      const values = bind(params);
      const result = await pool
        .query<Row & QueryResultRow>({ name, text: compiled.sql, values })
        .catch((error: { code?: string }) => {
          // A migration by a newer process changed a table under a statement this connection
          // prepared before ("cached plan must not change result type"): run it unprepared.
          if (error.code === "0A000") return pool.query<Row & QueryResultRow>(compiled.sql, values);
          throw error;
        });
      return { rows: result.rows, changes: result.rowCount ?? 0 };
    }
    if (sqlite !== undefined && !sqlite.isTransaction) {
      if (direct === undefined) {
        const statement = sqlite.prepare(compiled.sql);
        direct = { statement, reader: statement.columns().length > 0 };
        // As in the adapter: an integer past 2^53 in a row must not make reading it fail.
        if (direct.reader) statement.setReadBigInts(true);
      }
      const values = bind(params).map(toSqliteValue);
      if (direct.reader)
        return { rows: direct.statement.all(...values).map(bigintsToNumbers) as Row[], changes: 0 };
      return { rows: [], changes: Number(direct.statement.run(...values).changes) };
    }
    const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, bind(params)));
    return { rows: result.rows, changes: Number(result.numAffectedRows ?? 0n) };
  };
}

/** A prepared select: resolves to its rows. */
export function preparedQuery<Db, Params extends Record<string, unknown>, Row>(
  db: Kysely<Db>,
  build: Build<Params, Row>,
): (params: Params) => Promise<Row[]> {
  const run = prepare(db, build);
  return async (params) => (await run(params)).rows;
}

/** A prepared insert, update or delete: resolves to the number of rows it changed. */
export function preparedCommand<Db, Params extends Record<string, unknown>>(
  db: Kysely<Db>,
  build: Build<Params, unknown>,
): (params: Params) => Promise<number> {
  const run = prepare(db, build);
  return async (params) => (await run(params)).changes;
}

/** One prepared query per database handle, created on first use. */
export function perDatabase<Db, T>(create: (db: Kysely<Db>) => T): (db: Kysely<Db>) => T {
  const cache = new WeakMap<Kysely<Db>, T>();
  return (db) => {
    let value = cache.get(db);
    if (value === undefined) {
      value = create(db);
      cache.set(db, value);
    }
    return value;
  };
}

/**
 * A prepared insert, update or delete whose runs on SQLite are group-committed: every run queued
 * within one turn of the event loop shares one transaction, and each caller resolves only once
 * that transaction has committed (so nothing is answered before its write is in the database).
 * A WAL commit writes every page the transaction touched, so one row per commit pays for its
 * table's and each index's page every time; a batch pays for them once.
 *
 * A run that fails (a constraint) fails alone: SQLite undoes only that statement and the others
 * commit. If the transaction itself fails, every run of the batch fails. The batch runs under
 * Kysely's connection lock, so never inside another transaction. On PostgreSQL each run is a
 * named statement on its own, as preparedCommand.
 */
export function groupCommittedCommand<Db, Params extends Record<string, unknown>>(
  db: Kysely<Db>,
  build: Build<Params, unknown>,
): (params: Params) => Promise<void> {
  const sqlite = sqliteHandles.get(db);
  if (sqlite === undefined) {
    const run = prepare(db, build);
    return async (params) => {
      await run(params);
    };
  }
  const { sql, bind } = compile(build);
  let statement: StatementSync | undefined;
  type Waiter = { values: unknown[]; resolve: () => void; reject: (error: unknown) => void };
  let queue: Waiter[] = [];
  const write = (batch: Waiter[]) => {
    statement ??= sqlite.prepare(sql);
    const failed = new Map<Waiter, unknown>();
    sqlite.exec("BEGIN IMMEDIATE");
    try {
      for (const waiter of batch) {
        try {
          statement.run(...waiter.values.map(toSqliteValue));
        } catch (error) {
          failed.set(waiter, error);
        }
      }
      sqlite.exec("COMMIT");
    } catch (error) {
      if (sqlite.isTransaction) sqlite.exec("ROLLBACK");
      for (const waiter of batch) failed.set(waiter, error);
    }
    for (const waiter of batch) {
      if (failed.has(waiter)) waiter.reject(failed.get(waiter));
      else waiter.resolve();
    }
  };
  const flush = async () => {
    const batch = queue;
    queue = [];
    try {
      await db.connection().execute(async () => write(batch));
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    }
  };
  return (params) =>
    new Promise<void>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ values: bind(params), resolve, reject });
    });
}
