import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";
import type { AuditAnchor } from "./audit-anchor.ts";
import { chainHash, checkpointStatement, GENESIS_HASH, headStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";

export interface AuditVerification {
  readonly ok: boolean;
  readonly events: number;
  readonly checkpoints: number;
  readonly problems: readonly string[];
}

/** The statements a trail's signatures must cover; a predicate, so an upgrade can accept two. */
export interface TrailSignatures {
  checkpoint(seq: number, hash: string, signature: string): boolean;
  head(seq: number, hash: string, signature: string): boolean;
}

/** Only the domain-separated statements: never a legacy signature (legacy-upgrade.ts). */
export function currentSignatures(signer: AuditSigner): TrailSignatures {
  return {
    checkpoint: (seq, hash, signature) => signer.verify(checkpointStatement(seq, hash), signature),
    head: (seq, hash, signature) => signer.verify(headStatement(seq, hash), signature),
  };
}

/**
 * Walks the whole chain. Detects an edited entry (its hash no longer matches), a deleted or
 * reordered one (a gap in seq or a broken prev_hash link), and truncation (the signed head points
 * past the last entry). Checkpoint and head signatures must verify with the key derived from the
 * master-key-protected private key, so rewriting the chain wholesale is detected too. With an
 * `anchor` kept outside the database, the chain must still hold that exact entry: this detects a
 * trail cut back below the anchor even when the head was rolled back to an older genuine one.
 */
export async function verifyAudit(
  db: Kysely<Schema>,
  signer: AuditSigner,
  onProgress: (done: number) => void = () => {},
  anchor?: AuditAnchor,
): Promise<AuditVerification> {
  return verifyTrail(db, currentSignatures(signer), onProgress, anchor);
}

/** verifyAudit with the signatures it accepts given. */
export async function verifyTrail(
  db: Kysely<Schema>,
  signatures: TrailSignatures,
  onProgress: (done: number) => void = () => {},
  anchor?: AuditAnchor,
): Promise<AuditVerification> {
  const problems: string[] = [];
  const checkpoints = await db.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
  const pending = new Map(checkpoints.map((c) => [c.seq, c]));
  for (const c of checkpoints) {
    if (!signatures.checkpoint(c.seq, c.hash, c.signature))
      problems.push(`checkpoint at ${c.seq}: bad signature`);
  }
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  const pageSize = 2000;
  for (let after = 0; ; ) {
    const page = await db
      .selectFrom("audit_events")
      .selectAll()
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(pageSize)
      .execute();
    for (const row of page) {
      if (row.seq !== expectedSeq)
        problems.push(`entry ${expectedSeq}: missing or out of order (found ${row.seq} next)`);
      if (row.prev_hash !== prevHash) problems.push(`entry ${row.seq}: does not link to the entry before it`);
      const hash = chainHash(row.prev_hash, row.seq, {
        at: row.at,
        tenantId: row.tenant_id,
        actor: row.actor,
        subject: row.subject,
        sourceIp: row.source_ip,
        operation: row.operation,
        resultCode: row.result_code,
        durationMs: row.duration_ms,
        requestId: row.request_id,
      });
      if (hash !== row.hash) problems.push(`entry ${row.seq}: content does not match its hash (edited)`);
      const checkpoint = pending.get(row.seq);
      if (checkpoint !== undefined && checkpoint.hash !== row.hash)
        problems.push(`entry ${row.seq}: differs from the signed checkpoint`);
      if (anchor !== undefined && row.seq === anchor.seq && row.hash !== anchor.hash)
        problems.push(`entry ${row.seq}: differs from the anchor (rewritten)`);
      pending.delete(row.seq);
      prevHash = row.hash;
      expectedSeq = row.seq + 1;
      count += 1;
    }
    onProgress(count);
    if (page.length < pageSize) break;
    after = page.at(-1)?.seq ?? after;
  }
  for (const seq of pending.keys())
    problems.push(`checkpoint at ${seq}: its entry is gone (deleted or truncated)`);
  if (anchor !== undefined) problems.push(...anchorGaps(anchor, expectedSeq - 1));
  const head = await db.selectFrom("audit_head").selectAll().where("id", "=", 1).executeTakeFirst();
  if (head === undefined) problems.push("the audit head is missing");
  else {
    if (!signatures.head(head.seq, head.hash, head.signature))
      problems.push("the audit head signature is invalid");
    if (head.seq !== expectedSeq - 1 || head.hash !== prevHash) {
      problems.push(
        `the signed head says ${head.seq} entries but the chain ends at ${expectedSeq - 1} (truncated or altered)`,
      );
    }
  }
  return { ok: problems.length === 0, events: count, checkpoints: checkpoints.length, problems };
}

/** An anchor past the end of the chain means it was cut back; seq 0 is the genesis. */
function anchorGaps(anchor: AuditAnchor, lastSeq: number): string[] {
  if (anchor.seq === 0 && anchor.hash !== GENESIS_HASH) return ["the anchor at 0 is not the genesis hash"];
  if (anchor.seq > lastSeq)
    return [`the chain ends at ${lastSeq}, before the anchor at ${anchor.seq} (truncated)`];
  return [];
}
