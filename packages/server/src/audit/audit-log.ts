import type { Kysely } from "kysely";
import type { Database } from "../storage/database.ts";
import type { Schema } from "../storage/schema.ts";
import { type AuditEvent, GENESIS_HASH, headStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";
import { type Extend, extendChain } from "./chain-extension.ts";
import { LegacyAuditTrailError, readHeadFormat } from "./legacy-format.ts";
import { PostgresAuditWriter } from "./postgres-audit-writer.ts";
import { appendOnSqlite } from "./sqlite-audit-writer.ts";

type Waiter = { event: AuditEvent; resolve: () => void; reject: (error: unknown) => void };

/**
 * The append-only, hash-chained audit trail.
 *
 * Appends are group-committed: events queued while a flush runs go into the next flush, in one
 * transaction, so the cost per request stays low under load while every caller still waits for
 * its event to be durable. Each flush extends the chain from the current head, re-signs the head,
 * and writes a signed checkpoint every `checkpointEvery` events (chain-extension.ts); how the head
 * is held while it moves is the writer's business (sqlite-audit-writer.ts, postgres-audit-writer.ts).
 * Several server processes can share one PostgreSQL trail.
 */
export class AuditLog {
  readonly #db: Kysely<Schema>;
  readonly #database: Database;
  readonly #signer: AuditSigner;
  readonly #checkpointEvery: number;
  #queue: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  #postgres: PostgresAuditWriter | undefined;
  /** initialise found a head signed before issue #9 (only the audit commands open such a trail). */
  #legacyHead = false;

  constructor(database: Database, signer: AuditSigner, checkpointEvery: number) {
    this.#db = database.db;
    this.#database = database;
    this.#signer = signer;
    this.#checkpointEvery = checkpointEvery;
  }

  /**
   * Creates the head at seq 0 once; safe to call from every process at start. A head signed in the
   * format before issue #9 fails the start (legacy-upgrade.ts) unless `allowLegacyHead` (the audit
   * commands that read it or upgrade it explicitly); even then nothing is appended to it.
   */
  async initialise(now: number, allowLegacyHead = false): Promise<void> {
    await this.#db
      .insertInto("audit_head")
      .values({
        id: 1,
        seq: 0,
        hash: GENESIS_HASH,
        signature: this.#signer.sign(headStatement(0, GENESIS_HASH)),
        key_id: this.#signer.keyId,
        updated_at: now,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    this.#legacyHead = (await readHeadFormat(this.#db, this.#signer)) === "legacy";
    if (this.#legacyHead && !allowLegacyHead) throw new LegacyAuditTrailError();
  }

  append(event: AuditEvent): Promise<void> {
    if (this.#legacyHead) return Promise.reject(new LegacyAuditTrailError());
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

  async #write(events: readonly AuditEvent[]): Promise<void> {
    const extend: Extend = (head) => extendChain(this.#signer, this.#checkpointEvery, head, events);
    const raw = this.#database.sqlite;
    if (raw !== undefined) {
      // Under Kysely's connection lock, so no Kysely transaction is open on the connection.
      await this.#db.connection().execute(async () => appendOnSqlite(raw, extend));
      return;
    }
    this.#postgres ??= new PostgresAuditWriter(this.#db);
    await this.#postgres.append(extend);
  }
}
