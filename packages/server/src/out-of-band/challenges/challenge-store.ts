import { randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { ChallengeCodesTable, Schema } from "../../storage/schema.ts";

export type ChallengeRow = Selectable<ChallengeCodesTable>;
/** What a code is for: signing in, or the first code that shows a new device's destination is the user's. */
export type ChallengePurpose = "sign-in" | "verification";

/** 144 random bits, base64url: unguessable, and nothing about the device or user in it. */
export const newChallengeId = (): string => randomBytes(18).toString("base64url");

export async function insertChallenge(db: Kysely<Schema>, row: ChallengeRow): Promise<void> {
  await db.insertInto("challenge_codes").values(row).execute();
}

/**
 * Marks every other open code of the device and purpose superseded: a resend makes the codes sent
 * before it worthless. Called right after the new row is inserted, so of two sends racing, the
 * later statement supersedes the other's row: at most one stays open (both may end superseded,
 * which fails closed: the user asks for another code).
 */
export async function supersedeOthers(db: Kysely<Schema>, latest: ChallengeRow): Promise<void> {
  await db
    .updateTable("challenge_codes")
    .set({ superseded_at: latest.created_at })
    .where("authenticator_id", "=", latest.authenticator_id)
    .where("purpose", "=", latest.purpose)
    .where("id", "<>", latest.id)
    .where("used_at", "is", null)
    .where("superseded_at", "is", null)
    .execute();
}

/** The challenge, only when it belongs to this tenant and user: anyone else's id is not found. */
export function findChallenge(
  db: Kysely<Schema>,
  tenantId: string,
  userId: string,
  id: string,
): Promise<ChallengeRow | undefined> {
  return db
    .selectFrom("challenge_codes")
    .selectAll()
    .where("id", "=", id)
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

/**
 * Spends the code: one conditional UPDATE, so of any number of requests presenting it (in one
 * process or many) exactly one sees its update applied. It must still be unused, not superseded
 * (a resend that committed first wins) and not expired.
 */
export async function spendChallenge(db: Kysely<Schema>, row: ChallengeRow, now: number): Promise<boolean> {
  const result = await db
    .updateTable("challenge_codes")
    .set({ used_at: now })
    .where("id", "=", row.id)
    .where("used_at", "is", null)
    .where("superseded_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
