import { type Kysely, sql } from "kysely";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
import type { Schema } from "../storage/schema.ts";
import { type ChainExtension, type ChainHead, type Extend, writeExtension } from "./chain-extension.ts";

/**
 * Appends batches on PostgreSQL, where several server processes may share one trail.
 *
 * The fast path is one statement, so one round trip and one commit: it moves the head only if it is
 * still where this process last left it (a compare-and-set on seq and hash, which PostgreSQL
 * re-checks after waiting for any concurrent update of the row), and inserts the events and
 * checkpoints only if it did move it. When another process has appended in between, nothing is
 * written, and the batch goes
 * through the locking path instead: a transaction that reads the head FOR UPDATE, which always
 * succeeds and tells this process where the head now is.
 */
export class PostgresAuditWriter {
  readonly #db: Kysely<Schema>;
  /** The head as this process last wrote or read it; a guess that the compare-and-set checks. */
  #head: ChainHead | undefined;
  /** How batches were written: by the one-statement fast path, or under the lock. */
  readonly appends = { oneStatement: 0, locked: 0 };

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async append(extend: Extend): Promise<void> {
    const expected = this.#head;
    if (expected !== undefined) {
      const next = extend(expected);
      if (await this.#appendIfHeadIs(expected, next)) {
        this.#head = { seq: next.head.seq, hash: next.head.hash };
        this.appends.oneStatement += 1;
        return;
      }
    }
    this.#head = await this.#appendLocked(extend);
    this.appends.locked += 1;
  }

  async #appendIfHeadIs(expected: ChainHead, next: ChainExtension): Promise<boolean> {
    const { rows, head, checkpoints } = next;
    const params: AppendParams = {
      expectedSeq: expected.seq,
      expectedHash: expected.hash,
      seq: head.seq,
      hash: head.hash,
      signature: head.signature,
      keyId: head.keyId,
      now: head.now,
    };
    for (const [name] of eventColumns) params[`e:${name}`] = rows.map((r) => r[name]);
    for (const [name] of checkpointColumns) params[`c:${name}`] = checkpoints.map((c) => c[name]);
    const [result] = await appendIfHeadIs(this.#db)(params);
    return result?.moved === 1;
  }

  async #appendLocked(extend: Extend): Promise<ChainHead> {
    return this.#db.transaction().execute(async (trx) => {
      const head = await trx
        .selectFrom("audit_head")
        .select(["seq", "hash", "signature"])
        .where("id", "=", 1)
        .forUpdate()
        .executeTakeFirstOrThrow();
      return writeExtension(trx, extend(head));
    });
  }
}

/** Column and PostgreSQL type, in the order of the insert. */
const eventColumns = [
  ["seq", "bigint"],
  ["at", "bigint"],
  ["tenant_id", "text"],
  ["actor", "text"],
  ["subject", "text"],
  ["source_ip", "text"],
  ["operation", "text"],
  ["result_code", "integer"],
  ["duration_ms", "integer"],
  ["request_id", "text"],
  ["prev_hash", "text"],
  ["hash", "text"],
] as const;
const checkpointColumns = [
  ["seq", "bigint"],
  ["hash", "text"],
  ["signature", "text"],
  ["key_id", "text"],
  ["at", "bigint"],
] as const;

/** The expected head, the new head, and the rows as one array per column (`e:<column>`, `c:<column>`). */
type AppendParams = {
  expectedSeq: number;
  expectedHash: string;
  seq: number;
  hash: string;
  signature: string;
  keyId: string;
  now: number;
} & Record<`e:${string}` | `c:${string}`, unknown[]>;

/**
 * The one-statement append. Rows travel as one array per column, so the text does not change with
 * the batch size and PostgreSQL prepares it once per connection.
 */
const appendIfHeadIs = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, AppendParams, { moved: number }>(db, (p) => {
    const arrays = (prefix: "e" | "c", columns: readonly (readonly [string, string])[]) =>
      sql.join(columns.map(([name, type]) => sql`${p(`${prefix}:${name}`)}::${sql.raw(type)}[]`));
    return {
      compile: () =>
        sql<{ moved: number }>`
          with head as (
            update audit_head
            set seq = ${p("seq")}, hash = ${p("hash")}, signature = ${p("signature")},
                key_id = ${p("keyId")}, updated_at = ${p("now")}
            where id = 1 and seq = ${p("expectedSeq")} and hash = ${p("expectedHash")}
            returning 1
          ), events as (
            insert into audit_events (${sql.join(eventColumns.map(([name]) => sql.ref(name)))})
            select * from unnest(${arrays("e", eventColumns)})
            where exists (select 1 from head)
          ), checkpoints as (
            insert into audit_checkpoints (${sql.join(checkpointColumns.map(([name]) => sql.ref(name)))})
            select * from unnest(${arrays("c", checkpointColumns)})
            where exists (select 1 from head)
          )
          select count(*)::integer as moved from head`.compile(db),
    };
  }),
);
