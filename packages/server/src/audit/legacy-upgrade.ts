import { type Kysely, sql } from "kysely";
import type { Database } from "../storage/database.ts";
import type { Schema } from "../storage/schema.ts";
import { checkpointStatement, headStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";
import { extendChain, writeExtension } from "./chain-extension.ts";
import { currentSignatures, verifyTrail } from "./verify-audit.ts";

/**
 * Trails written before issue #9 signed head and checkpoints over one statement, so a checkpoint's
 * signature was also a valid head signature. Only this upgrade reads that format; verification
 * never accepts it.
 */
export function legacyStatement(seq: number, hash: string): Buffer {
  return Buffer.from(`tessera-audit:${seq}:${hash}`);
}

export type LegacyUpgrade =
  | { readonly state: "current" }
  | { readonly state: "upgraded"; readonly seq: number; readonly checkpoints: number }
  | { readonly state: "refused"; readonly problems: readonly string[] };

/**
 * Re-signs a legacy trail under the domain-separated statements, once, at every start (server or
 * CLI) after the master key check. Only a trail that is legacy throughout (a legacy head, no
 * checkpoint in the new format) and verifies completely under the legacy statement (chain,
 * checkpoints, head) is re-signed; anything else is refused and left for `tessera audit verify` to
 * report, since re-signing a damaged trail would launder the damage. An upgraded trail has a
 * current head, so this costs one signature check per start afterwards.
 *
 * Under the head lock (SQLite's write lock, PostgreSQL's row lock on the head), so two processes
 * starting at once upgrade once: the second finds a current head. The re-signing and the audit
 * event that records it commit together.
 */
export async function upgradeLegacyAudit(
  database: Database,
  signer: AuditSigner,
  checkpointEvery: number,
  now: number,
): Promise<LegacyUpgrade> {
  if (!(await hasLegacyHead(database.db, signer))) return { state: "current" };
  return underHeadLock(database, async (trx) => {
    if (!(await hasLegacyHead(trx, signer))) return { state: "current" };
    const current = currentSignatures(signer);
    const legacy = (seq: number, hash: string, signature: string) =>
      signer.verify(legacyStatement(seq, hash), signature);
    const checkpoints = await trx.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
    const mixed = checkpoints.filter((c) => current.checkpoint(c.seq, c.hash, c.signature));
    if (mixed.length > 0)
      return {
        state: "refused",
        problems: [
          `a legacy head over checkpoints in the current format (first at ${mixed[0]?.seq}): not re-signed`,
        ],
      };
    const verified = await verifyTrail(trx, { checkpoint: legacy, head: legacy });
    if (!verified.ok) return { state: "refused", problems: verified.problems };
    for (const c of checkpoints) {
      await trx
        .updateTable("audit_checkpoints")
        .set({ signature: signer.sign(checkpointStatement(c.seq, c.hash)), key_id: signer.keyId })
        .where("seq", "=", c.seq)
        .execute();
    }
    const head = await trx
      .selectFrom("audit_head")
      .select(["seq", "hash"])
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    await trx
      .updateTable("audit_head")
      .set({ signature: signer.sign(headStatement(head.seq, head.hash)), key_id: signer.keyId })
      .where("id", "=", 1)
      .execute();
    const event = {
      at: now,
      tenantId: null,
      actor: "system",
      subject: `legacy signatures verified and re-signed up to seq ${head.seq}`,
      sourceIp: null,
      operation: "audit.upgrade",
      resultCode: 0,
      durationMs: null,
      requestId: null,
    };
    await writeExtension(trx, extendChain(signer, checkpointEvery, head, [event]));
    return { state: "upgraded", seq: head.seq, checkpoints: checkpoints.length };
  });
}

/** The head is signed over the legacy statement (and so over no current one). */
async function hasLegacyHead(db: Kysely<Schema>, signer: AuditSigner): Promise<boolean> {
  const head = await db.selectFrom("audit_head").selectAll().where("id", "=", 1).executeTakeFirst();
  return head !== undefined && signer.verify(legacyStatement(head.seq, head.hash), head.signature);
}

/** Runs `work` in one transaction that holds the audit head against every other writer. */
function underHeadLock<T>(database: Database, work: (trx: Kysely<Schema>) => Promise<T>): Promise<T> {
  if (database.sqlite === undefined)
    return database.db.transaction().execute(async (trx) => {
      await trx.selectFrom("audit_head").select("seq").where("id", "=", 1).forUpdate().execute();
      return work(trx);
    });
  // SQLite: BEGIN IMMEDIATE takes the write lock before the first read, as the audit writer does.
  return database.db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await work(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
  });
}
