import { type Kysely, sql } from "kysely";
import type { Database } from "../storage/database.ts";
import type { Schema } from "../storage/schema.ts";
import { type AuditAnchor, formatAnchor } from "./audit-anchor.ts";
import { checkpointStatement, headStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";
import { extendChain, writeExtension } from "./chain-extension.ts";
import { headFormat, legacySignatures } from "./legacy-format.ts";
import { currentSignatures, verifyTrail } from "./verify-audit.ts";

export type LegacyUpgrade =
  | { readonly state: "current" }
  | { readonly state: "upgraded"; readonly seq: number; readonly checkpoints: number }
  | { readonly state: "refused"; readonly problems: readonly string[] };

/**
 * Re-signs a legacy trail under the domain-separated statements: `tessera audit upgrade-legacy`,
 * run once by an operator, never automatically. Verification alone cannot tell an intact legacy
 * trail from one cut back to an older legacy checkpoint whose signature (from a pre-upgrade
 * backup) was copied into the head, so the operator must name the head they recorded with the old
 * release (`expected`), and only that exact head, over a trail that is legacy throughout (no
 * checkpoint in the new format) and verifies completely under the legacy statement, is re-signed.
 * Anything else is refused, since re-signing a damaged trail would launder the damage.
 *
 * Under the head lock (SQLite's write lock, PostgreSQL's row lock on the head), so two upgrades at
 * once upgrade once: the second finds a current head. The re-signing and the audit event that
 * records it commit together.
 */
export async function upgradeLegacyAudit(
  database: Database,
  signer: AuditSigner,
  checkpointEvery: number,
  now: number,
  expected: AuditAnchor,
): Promise<LegacyUpgrade> {
  return underHeadLock(database, async (trx) => {
    const head = await trx.selectFrom("audit_head").selectAll().where("id", "=", 1).executeTakeFirst();
    if (head === undefined) return { state: "refused", problems: ["the audit head is missing"] };
    const format = headFormat(signer, head);
    if (format === "current") {
      // Upgraded already (or never legacy): "nothing to do" only if the trail is intact and still
      // holds the head the operator recorded, so a trail cut after the upgrade is not reported fine.
      const check = await verifyTrail(trx, currentSignatures(signer), undefined, expected);
      return check.ok ? { state: "current" } : { state: "refused", problems: check.problems };
    }
    if (format === "invalid")
      return { state: "refused", problems: ["the audit head signature is invalid in either format"] };
    if (head.seq !== expected.seq || head.hash !== expected.hash)
      return {
        state: "refused",
        problems: [`the head is ${formatAnchor(head)}, not the expected ${formatAnchor(expected)}`],
      };
    const current = currentSignatures(signer);
    const checkpoints = await trx.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
    const mixed = checkpoints.filter((c) => current.checkpoint(c.seq, c.hash, c.signature));
    if (mixed.length > 0)
      return {
        state: "refused",
        problems: [`a legacy head over checkpoints in the current format (first at ${mixed[0]?.seq})`],
      };
    const verified = await verifyTrail(trx, legacySignatures(signer));
    if (!verified.ok) return { state: "refused", problems: verified.problems };
    for (const c of checkpoints) {
      await trx
        .updateTable("audit_checkpoints")
        .set({ signature: signer.sign(checkpointStatement(c.seq, c.hash)), key_id: signer.keyId })
        .where("seq", "=", c.seq)
        .execute();
    }
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
