import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";
import { headStatement } from "./audit-event.ts";
import type { AuditSigner } from "./audit-signing-key.ts";
import type { TrailSignatures } from "./verify-audit.ts";

/**
 * Trails written before issue #9 signed head and checkpoints over one statement, so a checkpoint's
 * signature was also a valid head signature. Only `tessera audit verify --legacy` and the explicit
 * upgrade read that format; normal verification never accepts it.
 */
export function legacyStatement(seq: number, hash: string): Buffer {
  return Buffer.from(`tessera-audit:${seq}:${hash}`);
}

export function legacySignatures(signer: AuditSigner): TrailSignatures {
  const legacy = (seq: number, hash: string, signature: string) =>
    signer.verify(legacyStatement(seq, hash), signature);
  return { checkpoint: legacy, head: legacy };
}

export const LEGACY_TRAIL_MESSAGE =
  "the audit trail is signed in the format used before this release; check it with `tessera audit verify --legacy` and upgrade it with `tessera audit upgrade-legacy --expect-head <seq>:<hash>`";

/**
 * A legacy head is a fail-closed state: nothing may append to it (a new-format head over legacy
 * checkpoints is exactly what a cut trail restored from a pre-upgrade backup would look like), so
 * the server and every writing CLI command refuse to start until an operator upgrades it.
 */
export class LegacyAuditTrailError extends Error {
  override readonly name = "LegacyAuditTrailError";
  constructor() {
    super(LEGACY_TRAIL_MESSAGE);
  }
}

export type HeadFormat = "current" | "legacy" | "invalid";

/** Which statement the stored head's signature covers. */
export function headFormat(
  signer: AuditSigner,
  head: { seq: number; hash: string; signature: string },
): HeadFormat {
  if (signer.verify(headStatement(head.seq, head.hash), head.signature)) return "current";
  if (signer.verify(legacyStatement(head.seq, head.hash), head.signature)) return "legacy";
  return "invalid";
}

export async function readHeadFormat(
  db: Kysely<Schema>,
  signer: AuditSigner,
): Promise<HeadFormat | undefined> {
  const head = await db.selectFrom("audit_head").selectAll().where("id", "=", 1).executeTakeFirst();
  return head === undefined ? undefined : headFormat(signer, head);
}
