import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";

/**
 * A password-recovery request is identified by a request id (rid) and proven by a message id
 * (mid) that only the e-mail carries; the database keeps the mid's SHA-256. A new request
 * supersedes the user's open ones, and redeeming is a compare-and-set, so a link works once.
 * The row is written after the answer has left (start-recovery.ts), so until then its id matches
 * nothing. `mail_state` follows the e-mail: queued, then sent or failed; refused when the account
 * cannot recover (disabled, expired, no address) and nothing is sent.
 */
export type MailState = "queued" | "sent" | "failed" | "refused";
export const ridPattern = /^[A-Za-z0-9_-]{22}$/;
export const midPattern = /^[A-Za-z0-9_-]{43}$/;
const digest = (mid: string) => createHash("sha256").update(mid).digest();

export async function openRecovery(
  db: Kysely<Schema>,
  request: {
    /** Drawn before the answer (start-recovery.ts); a fresh one when absent. */
    rid?: string;
    tenantId: string;
    userId: string;
    now: number;
    expiresAt: number;
    mailState?: MailState;
  },
): Promise<{ rid: string; mid: string }> {
  const rid = request.rid ?? randomBytes(16).toString("base64url");
  const mid = randomBytes(32).toString("base64url");
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("password_recoveries")
      .set({ used_at: request.now })
      .where("user_id", "=", request.userId)
      .where("used_at", "is", null)
      .execute();
    await trx
      .insertInto("password_recoveries")
      .values({
        id: rid,
        tenant_id: request.tenantId,
        user_id: request.userId,
        message_hash: digest(mid).toString("hex"),
        expires_at: request.expiresAt,
        used_at: null,
        created_at: request.now,
        mail_state: request.mailState ?? "queued",
      })
      .execute();
  });
  return { rid, mid };
}

export async function setMailState(db: Kysely<Schema>, rid: string, state: MailState): Promise<void> {
  await db.updateTable("password_recoveries").set({ mail_state: state }).where("id", "=", rid).execute();
}

/** The tenant's view of one request, for reading back how its e-mail went. */
export function readRecovery(db: Kysely<Schema>, tenantId: string, rid: string) {
  return db
    .selectFrom("password_recoveries")
    .select(["id", "mail_state", "expires_at", "used_at"])
    .where("id", "=", rid)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
}

export type RecoveryCheck = "unknown" | "wrong-mid" | "expired" | { userId: string };

/**
 * What an open request says about this rid and mid, without redeeming it. The end-user page has
 * no tenant (undefined): there the rid and mid alone identify the request.
 */
export async function checkRecovery(
  db: Kysely<Schema>,
  tenantId: string | undefined,
  rid: string,
  mid: string,
  now: number,
): Promise<RecoveryCheck> {
  let query = db
    .selectFrom("password_recoveries")
    .selectAll()
    .where("id", "=", rid)
    .where("used_at", "is", null)
    .where("mail_state", "!=", "refused");
  if (tenantId !== undefined) query = query.where("tenant_id", "=", tenantId);
  const row = await query.executeTakeFirst();
  if (row === undefined) return "unknown";
  if (!timingSafeEqual(Buffer.from(row.message_hash, "hex"), digest(mid))) return "wrong-mid";
  if (row.expires_at <= now) return "expired";
  return { userId: row.user_id };
}

/** Marks the request used; false when another redemption won the race. */
export async function redeemRecovery(db: Kysely<Schema>, rid: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("password_recoveries")
    .set({ used_at: now })
    .where("id", "=", rid)
    .where("used_at", "is", null)
    .where("mail_state", "!=", "refused")
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
