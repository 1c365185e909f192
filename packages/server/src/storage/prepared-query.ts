import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from "kysely";

/**
 * Queries built and compiled once, then executed with new values: the hot paths (API key, session,
 * user and token look-ups, spending a one-time code) run on every request, and building a Kysely
 * query costs more than SQLite takes to answer it. Placeholders are sentinel values found in the
 * compiled parameter list.
 */
type Build<Params, Row> = (param: <K extends keyof Params & string>(name: K) => Params[K]) => Compilable<Row>;
type Executor<Db> = Pick<Kysely<Db>, "executeQuery">;

function prepare<Db, Params extends Record<string, unknown>, Row>(
  db: Kysely<Db>,
  build: Build<Params, Row>,
): (params: Params, executor?: Executor<Db>) => Promise<QueryResult<Row>> {
  const sentinels = new Map<unknown, string>();
  const compiled = build(((name: string) => {
    const sentinel = `\u0000param:${name}\u0000`;
    sentinels.set(sentinel, name);
    return sentinel;
  }) as never).compile();
  const slots = compiled.parameters.map((value) => sentinels.get(value));
  return (params, executor = db) => {
    const parameters = compiled.parameters.map((value, i) => {
      const name = slots[i];
      return name === undefined ? value : params[name];
    });
    return executor.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
  };
}

/** A prepared select: resolves to its rows. */
export function preparedQuery<Db, Params extends Record<string, unknown>, Row>(
  db: Kysely<Db>,
  build: Build<Params, Row>,
): (params: Params, executor?: Executor<Db>) => Promise<Row[]> {
  const run = prepare(db, build);
  return async (params, executor) => (await run(params, executor)).rows;
}

/** A prepared insert, update or delete: resolves to the number of rows it changed. */
export function preparedCommand<Db, Params extends Record<string, unknown>>(
  db: Kysely<Db>,
  build: Build<Params, unknown>,
): (params: Params, executor?: Executor<Db>) => Promise<number> {
  const run = prepare(db, build);
  return async (params, executor) => Number((await run(params, executor)).numAffectedRows ?? 0n);
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
