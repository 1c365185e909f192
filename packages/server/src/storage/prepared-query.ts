import { type Compilable, CompiledQuery, type Kysely } from "kysely";

/**
 * A query built and compiled once, then executed with new values: the hot paths (API key, session
 * and user look-ups) run on every request, and building a Kysely query costs more than SQLite
 * takes to answer it. Placeholders are sentinel values found in the compiled parameter list.
 */
export function preparedQuery<Db, Params extends Record<string, unknown>, Row>(
  db: Kysely<Db>,
  build: (param: <K extends keyof Params & string>(name: K) => Params[K]) => Compilable<Row>,
): (params: Params, executor?: Pick<Kysely<Db>, "executeQuery">) => Promise<Row[]> {
  const sentinels = new Map<unknown, string>();
  const compiled = build(((name: string) => {
    const sentinel = `\u0000param:${name}\u0000`;
    sentinels.set(sentinel, name);
    return sentinel;
  }) as never).compile();
  const slots = compiled.parameters.map((value) => sentinels.get(value));
  return async (params, executor = db) => {
    const parameters = compiled.parameters.map((value, i) => {
      const name = slots[i];
      return name === undefined ? value : params[name];
    });
    const result = await executor.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows;
  };
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
