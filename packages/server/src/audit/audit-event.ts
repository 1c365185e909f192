import { createHash } from "node:crypto";

/** One entry of the audit trail. Never carries a secret, a password, a code or a token. */
export interface AuditEvent {
  readonly at: number;
  readonly tenantId: string | null;
  /** Who acted: `apikey:<id>`, `cli:<os user>`, `user:<id>`, `system`. */
  readonly actor: string;
  /** What was acted on: `user:<username>`, `tenant:<id>`, … */
  readonly subject: string | null;
  readonly sourceIp: string | null;
  /** `POST /v1/users`, `tenant.create`, `audit.trace`, … */
  readonly operation: string;
  readonly resultCode: number;
  readonly durationMs: number | null;
  readonly requestId: string | null;
}

export interface ChainedEvent extends AuditEvent {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = "0".repeat(64);

/**
 * The chain link: SHA-256 over the previous hash and the event's fields in a fixed order. Changing,
 * removing or reordering any entry changes every later hash.
 */
export function chainHash(prevHash: string, seq: number, event: AuditEvent): string {
  const fields = [
    seq,
    event.at,
    event.tenantId,
    event.actor,
    event.subject,
    event.sourceIp,
    event.operation,
    event.resultCode,
    event.durationMs,
    event.requestId,
  ];
  return createHash("sha256").update(prevHash).update(JSON.stringify(fields)).digest("hex");
}

/**
 * What the head signature covers. Head and checkpoints sign different, domain-separated statements:
 * were they the same, a checkpoint's signature would be a valid head signature, and whoever can
 * edit the database could delete everything after checkpoint K and copy K into the head.
 */
export function headStatement(seq: number, hash: string): Buffer {
  return Buffer.from(`tessera-audit-head-v1\n${seq}\n${hash}`);
}

/** What a checkpoint signature covers; never a valid head statement (see headStatement). */
export function checkpointStatement(seq: number, hash: string): Buffer {
  return Buffer.from(`tessera-audit-checkpoint-v1\n${seq}\n${hash}`);
}
