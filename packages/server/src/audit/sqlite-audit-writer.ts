import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { ChainHead, Extend } from "./chain-extension.ts";

/**
 * Appends a batch on SQLite: synchronous from BEGIN IMMEDIATE to COMMIT, so no other statement runs
 * on the connection in between, and the write lock keeps other connections out while the head is
 * read and moved. Prepared statements are reused: Kysely's per-statement overhead would dominate.
 */
export function appendOnSqlite(raw: DatabaseSync, extend: Extend): void {
  const s = statementsFor(raw);
  raw.exec("BEGIN IMMEDIATE");
  try {
    const head = s.head.get() as ChainHead | undefined;
    if (head === undefined) throw new Error("the audit head is missing");
    const next = extend(head);
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

type Statements = Record<"head" | "insert" | "updateHead" | "checkpoint", StatementSync>;
const cache = new WeakMap<DatabaseSync, Statements>();

function statementsFor(raw: DatabaseSync): Statements {
  let statements = cache.get(raw);
  if (statements === undefined) {
    statements = {
      head: raw.prepare("select seq, hash, signature from audit_head where id = 1"),
      insert: raw.prepare(
        "insert into audit_events (seq, at, tenant_id, actor, subject, source_ip, operation, result_code, duration_ms, request_id, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      updateHead: raw.prepare(
        "update audit_head set seq = ?, hash = ?, signature = ?, key_id = ?, updated_at = ? where id = 1",
      ),
      checkpoint: raw.prepare(
        "insert into audit_checkpoints (seq, hash, signature, key_id, at) values (?, ?, ?, ?, ?)",
      ),
    };
    cache.set(raw, statements);
  }
  return statements;
}
