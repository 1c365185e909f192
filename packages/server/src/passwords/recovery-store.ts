import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.ts";

/**
 * A password-recovery request is identified by a request id (rid) and proven by a message id
 * (mid) that only the e-mail carries; the database keeps the mid's SHA-256. A new request
 * supersedes the user's open ones, and redeeming is a compare-and-set, so a link works once.
 */
export const ridPattern = /^[A-Za-z0-9_-]{22}$/;
export const midPattern = /^[A-Za-z0-9_-]{43}$/;
const digest = (mid: string) => createHash("sha256").update(mid).digest();

export async function openRecovery(
  db: Kysely<Schema>,
  request: { tenantId: string; userId: string; now: number; expiresAt: number },
): Promise<{ rid: string; mid: string }> {
  const rid = randomBytes(16).toString("base64url");
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
      })
      .execute();
  });
  return { rid, mid };
}

export function deleteRecovery(db: Kysely<Schema>, rid: string) {
  return db.deleteFrom("password_recoveries").where("id", "=", rid).execute();
}

export type RecoveryCheck = "unknown" | "wrong-mid" | "expired" | { userId: string };

/** What an open request says about this rid and mid, without redeeming it. */
export async function checkRecovery(
  db: Kysely<Schema>,
  tenantId: string,
  rid: string,
  mid: string,
  now: number,
): Promise<RecoveryCheck> {
  const row = await db
    .selectFrom("password_recoveries")
    .selectAll()
    .where("id", "=", rid)
    .where("tenant_id", "=", tenantId)
    .where("used_at", "is", null)
    .executeTakeFirst();
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
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
