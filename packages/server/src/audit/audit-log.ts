import type { Kysely } from "kysely";
import type { Database } from "../storage/database.ts";
import type { Schema } from "../storage/schema.ts";
import { type AuditEvent, GENESIS_HASH, headStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";
import { type ChainHead, type Extend, extendChain } from "./chain-extension.ts";
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
  /** The head this process signed last: finding it unchanged needs no signature check. */
  #lastSigned: { seq: number; hash: string; signature: string } | undefined;

  /**
   * Signing a new head vouches for everything before it, so the stored head must carry a valid
   * signature first. Otherwise whoever can write the database could cut the trail, point the head
   * at the cut (its signature no longer matching) and wait for the next request to re-sign it.
   * A head this process wrote itself is not checked again; one moved by another process is.
   */
  #requireSignedHead(head: ChainHead): void {
    const last = this.#lastSigned;
    if (head.signature === undefined) return;
    if (
      last !== undefined &&
      last.seq === head.seq &&
      last.hash === head.hash &&
      last.signature === head.signature
    )
      return;
    if (!this.#signer.verify(headStatement(head.seq, head.hash), head.signature))
      throw new Error(
        "the audit head's signature does not verify: the trail was changed outside Tessera; nothing is appended (run `tessera audit verify`)",
      );
  }

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
    const format = await readHeadFormat(this.#db, this.#signer);
    this.#legacyHead = format === "legacy";
    if (this.#legacyHead && !allowLegacyHead) throw new LegacyAuditTrailError();
    // A head whose signature verifies in no format was changed outside Tessera: fail closed, as
    // appending would re-sign it (the audit commands still open it, to report it).
    if (format === "invalid" && !allowLegacyHead)
      throw new Error(
        "the audit head's signature does not verify: the trail was changed outside Tessera; run `tessera audit verify`",
      );
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
    const extend: Extend = (head) => {
      this.#requireSignedHead(head);
      const next = extendChain(this.#signer, this.#checkpointEvery, head, events);
      this.#lastSigned = next.head;
      return next;
    };
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
