import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";
import type { AuditSigner } from "./audit-signing-key.ts";
import { headFormat } from "./legacy-format.ts";

/**
 * A position in the chain that an operator keeps outside the database (`<seq>:<hash>`). Signatures
 * alone cannot show that the trail was cut back and the head rolled back to an older, genuinely
 * signed head (for example from a backup); an anchor kept where the database administrator cannot
 * rewrite it can: verification against it fails unless the trail still holds that exact entry.
 */
export interface AuditAnchor {
  readonly seq: number;
  readonly hash: string;
}

const anchorPattern = /^(0|[1-9]\d{0,14}):([0-9a-fA-F]{64})$/;

export function formatAnchor(anchor: AuditAnchor): string {
  return `${anchor.seq}:${anchor.hash}`;
}

/** Parses an anchor; a malformed one is an error, never a silently skipped check. */
export function parseAnchor(text: string): AuditAnchor {
  const match = anchorPattern.exec(text.trim());
  if (match === null)
    throw new Error(
      "expected <seq>:<hash>, the anchor printed by `tessera audit head` (a sequence number, a colon, 64 hex digits)",
    );
  // Hex is hex in either case (an anchor copied through a tool that upper-cases it is the same
  // anchor); the chain stores lower case, so that is what it is compared as.
  return { seq: Number(match[1]), hash: (match[2] as string).toLowerCase() };
}

export interface SignedHead extends AuditAnchor {
  readonly signature: string;
  readonly keyId: string;
  readonly updatedAt: number;
  /** The head signature verifies as a head statement with the audit key. */
  readonly signatureValid: boolean;
  /**
   * Signed in the format before issue #9: its anchor is the `--expect-head` of
   * `tessera audit upgrade-legacy`, not an anchor of the current trail.
   */
  readonly legacy: boolean;
  readonly anchor: string;
}

/** The current signed head, as `tessera audit head` prints it. */
export async function readSignedHead(
  db: Kysely<Schema>,
  signer: AuditSigner,
): Promise<SignedHead | undefined> {
  const head = await db.selectFrom("audit_head").selectAll().where("id", "=", 1).executeTakeFirst();
  if (head === undefined) return undefined;
  const format = headFormat(signer, head);
  return {
    seq: head.seq,
    hash: head.hash,
    signature: head.signature,
    keyId: head.key_id,
    updatedAt: head.updated_at,
    signatureValid: format === "current",
    legacy: format === "legacy",
    anchor: formatAnchor(head),
  };
}
