import type { DatabaseSync } from "node:sqlite";
import type { Kysely } from "kysely";
import type { Database } from "../storage/database.ts";
import type { AuditEventsTable, Schema } from "../storage/schema.ts";
import { type AuditEvent, chainHash, GENESIS_HASH, signedStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";

type Waiter = { event: AuditEvent; resolve: () => void; reject: (error: unknown) => void };

/**
 * The append-only, hash-chained audit trail.
 *
 * Appends are group-committed: events queued while a flush runs go into the next flush, in one
 * transaction, so the cost per request stays low under load while every caller still waits for
 * its event to be durable. Each flush locks the head row (FOR UPDATE on PostgreSQL; SQLite
 * serialises writers), extends the chain, re-signs the head, and writes a signed checkpoint every
 * `checkpointEvery` events. Several server processes can share one PostgreSQL trail.
 */
export class AuditLog {
  readonly #db: Kysely<Schema>;
  readonly #database: Database;
  readonly #signer: AuditSigner;
  readonly #checkpointEvery: number;
  #queue: Waiter[] = [];
  #flushing: Promise<void> | undefined;

  constructor(database: Database, signer: AuditSigner, checkpointEvery: number) {
    this.#db = database.db;
    this.#database = database;
    this.#signer = signer;
    this.#checkpointEvery = checkpointEvery;
  }

  /** Creates the head at seq 0 once; safe to call from every process at start. */
  async initialise(now: number): Promise<void> {
    await this.#db
      .insertInto("audit_head")
      .values({
        id: 1,
        seq: 0,
        hash: GENESIS_HASH,
        signature: this.#signer.sign(signedStatement(0, GENESIS_HASH)),
        key_id: this.#signer.keyId,
        updated_at: now,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
  }

  append(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      // Start the flush after this turn of the event loop, so every request finishing in the same
      // turn joins one transaction and one signature.
      this.#flushing ??= new Promise((started) => setImmediate(started)).then(() => this.#drain());
    });
  }

  /** Waits for everything queued so far. */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#write(batch.map((w) => w.event));
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.#flushing = undefined;
  }

  /** Extends the chain by `events`: rows to insert, the new head and its signature. */
  #extend(head: Head, events: readonly AuditEvent[]) {
    let seq = head.seq;
    let hash = head.hash;
    const rows: Row[] = events.map((event) => {
      seq += 1;
      const prevHash = hash;
      hash = chainHash(prevHash, seq, event);
      return {
        seq,
        at: event.at,
        tenant_id: event.tenantId,
        actor: event.actor,
        subject: event.subject,
        source_ip: event.sourceIp,
        operation: event.operation,
        result_code: event.resultCode,
        duration_ms: event.durationMs,
        request_id: event.requestId,
        prev_hash: prevHash,
        hash,
      };
    });
    const now = events.at(-1)?.at ?? Date.now();
    const signature = this.#signer.sign(signedStatement(seq, hash));
    // One checkpoint at every multiple of checkpointEvery, signed over the chain at that very
    // event, however many boundaries one group-committed batch crosses.
    const checkpoints = rows
      .filter((r) => r.seq % this.#checkpointEvery === 0)
      .map((r) => ({
        seq: r.seq,
        hash: r.hash,
        signature: this.#signer.sign(signedStatement(r.seq, r.hash)),
        key_id: this.#signer.keyId,
        at: now,
      }));
    return { rows, head: { seq, hash, signature, keyId: this.#signer.keyId, now }, checkpoints };
  }

  async #write(events: readonly AuditEvent[]): Promise<void> {
    const raw = this.#database.sqlite;
    if (raw !== undefined) {
      // Synchronous from BEGIN to COMMIT, under Kysely's connection lock: no other statement can
      // run on this connection in between.
      await this.#db.connection().execute(async () => this.#writeSqlite(raw, events));
      return;
    }
    await this.#db.transaction().execute(async (trx) => {
      const head = await trx
        .selectFrom("audit_head")
        .select(["seq", "hash"])
        .where("id", "=", 1)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const next = this.#extend(head, events);
      await trx.insertInto("audit_events").values(next.rows).execute();
      const { seq, hash, signature, keyId, now } = next.head;
      await trx
        .updateTable("audit_head")
        .set({ seq, hash, signature, key_id: keyId, updated_at: now })
        .where("id", "=", 1)
        .execute();
      if (next.checkpoints.length > 0)
        await trx.insertInto("audit_checkpoints").values(next.checkpoints).execute();
    });
  }

  #writeSqlite(raw: DatabaseSync, events: readonly AuditEvent[]): void {
    const s = sqliteStatements(raw);
    raw.exec("BEGIN IMMEDIATE");
    try {
      const head = s.head.get() as Head | undefined;
      if (head === undefined) throw new Error("the audit head is missing");
      const next = this.#extend(head, events);
      for (const r of next.rows) {
        s.insert.run(
          r.seq,
          r.at,
          r.tenant_id,
          r.actor,
          r.subject,
          r.source_ip,
          r.operation,
          r.result_code,
          r.duration_ms,
          r.request_id,
          r.prev_hash,
          r.hash,
        );
      }
      const { seq, hash, signature, keyId, now } = next.head;
      s.updateHead.run(seq, hash, signature, keyId, now);
      for (const c of next.checkpoints) s.checkpoint.run(c.seq, c.hash, c.signature, c.key_id, c.at);
      raw.exec("COMMIT");
    } catch (error) {
      raw.exec("ROLLBACK");
      throw error;
    }
  }
}

type Row = AuditEventsTable;
type Head = { seq: number; hash: string };

const cache = new WeakMap<DatabaseSync, ReturnType<typeof prepare>>();
const prepare = (raw: DatabaseSync) => ({
  head: raw.prepare("select seq, hash from audit_head where id = 1"),
  insert: raw.prepare(
    "insert into audit_events (seq, at, tenant_id, actor, subject, source_ip, operation, result_code, duration_ms, request_id, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  ),
  updateHead: raw.prepare(
    "update audit_head set seq = ?, hash = ?, signature = ?, key_id = ?, updated_at = ? where id = 1",
  ),
  checkpoint: raw.prepare(
    "insert into audit_checkpoints (seq, hash, signature, key_id, at) values (?, ?, ?, ?, ?)",
  ),
});
function sqliteStatements(raw: DatabaseSync) {
  let statements = cache.get(raw);
  if (statements === undefined) {
    statements = prepare(raw);
    cache.set(raw, statements);
  }
  return statements;
}
