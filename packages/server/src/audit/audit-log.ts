import type { Kysely } from "kysely";
import type { DialectName } from "../storage/database.ts";
import type { Schema } from "../storage/schema.ts";
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
  readonly #dialect: DialectName;
  readonly #signer: AuditSigner;
  readonly #checkpointEvery: number;
  #queue: Waiter[] = [];
  #flushing: Promise<void> | undefined;

  constructor(db: Kysely<Schema>, dialect: DialectName, signer: AuditSigner, checkpointEvery: number) {
    this.#db = db;
    this.#dialect = dialect;
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

  async #write(events: readonly AuditEvent[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      let headQuery = trx.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1);
      if (this.#dialect === "postgres") headQuery = headQuery.forUpdate();
      const head = await headQuery.executeTakeFirstOrThrow();
      let seq = head.seq;
      let hash = head.hash;
      const rows = events.map((event) => {
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
      await trx.insertInto("audit_events").values(rows).execute();
      const signature = this.#signer.sign(signedStatement(seq, hash));
      const now = events.at(-1)?.at ?? Date.now();
      await trx
        .updateTable("audit_head")
        .set({ seq, hash, signature, key_id: this.#signer.keyId, updated_at: now })
        .where("id", "=", 1)
        .execute();
      if (Math.floor(seq / this.#checkpointEvery) > Math.floor(head.seq / this.#checkpointEvery)) {
        await trx
          .insertInto("audit_checkpoints")
          .values({ seq, hash, signature, key_id: this.#signer.keyId, at: now })
          .execute();
      }
    });
  }
}
