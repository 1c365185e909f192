import type { Kysely } from "kysely";
import type { AuditCheckpointsTable, AuditEventsTable, Schema } from "../storage/schema.ts";
import { type AuditEvent, chainHash, checkpointStatement, headStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";

/** The head of the chain as stored: the last sequence number and its hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  /** The head's signature as stored, when the writer read it from the database. */
  readonly signature?: string;
}

/** What appending a batch writes: the event rows, the new signed head, and any checkpoints. */
export interface ChainExtension {
  readonly rows: readonly AuditEventsTable[];
  readonly head: ChainHead & { readonly signature: string; readonly keyId: string; readonly now: number };
  readonly checkpoints: readonly AuditCheckpointsTable[];
}

/** Extends the chain from `head`; a function of the head so a writer can retry on a newer one. */
export type Extend = (head: ChainHead) => ChainExtension;

export function extendChain(
  signer: AuditSigner,
  checkpointEvery: number,
  head: ChainHead,
  events: readonly AuditEvent[],
): ChainExtension {
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
  const now = events.at(-1)?.at ?? Date.now();
  const signature = signer.sign(headStatement(seq, hash));
  // One checkpoint at every multiple of checkpointEvery, signed over the chain at that very event,
  // however many boundaries one group-committed batch crosses.
  const checkpoints = rows
    .filter((r) => r.seq % checkpointEvery === 0)
    .map((r) => ({
      seq: r.seq,
      hash: r.hash,
      signature: signer.sign(checkpointStatement(r.seq, r.hash)),
      key_id: signer.keyId,
      at: now,
    }));
  return { rows, head: { seq, hash, signature, keyId: signer.keyId, now }, checkpoints };
}

/** Writes an extension inside a transaction that holds the head (the locked paths). */
export async function writeExtension(trx: Kysely<Schema>, next: ChainExtension): Promise<ChainHead> {
  if (next.rows.length > 0) await trx.insertInto("audit_events").values(next.rows).execute();
  const { seq, hash, signature, keyId, now } = next.head;
  await trx
    .updateTable("audit_head")
    .set({ seq, hash, signature, key_id: keyId, updated_at: now })
    .where("id", "=", 1)
    .execute();
  if (next.checkpoints.length > 0)
    await trx.insertInto("audit_checkpoints").values(next.checkpoints).execute();
  return { seq, hash };
}
