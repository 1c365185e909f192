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
 * Marks the device's earlier open codes of the same purpose superseded: a resend makes the code
 * sent before it worthless. "Earlier" is a total order (time, then id), so of two sends at the
 * same instant exactly one is the latest; acceptance checks the same order (spendChallenge), so a
 * superseding send that races an acceptance still wins.
 */
export async function supersedeEarlier(db: Kysely<Schema>, latest: ChallengeRow): Promise<void> {
  await db
    .updateTable("challenge_codes")
    .set({ superseded_at: latest.created_at })
    .where("authenticator_id", "=", latest.authenticator_id)
    .where("purpose", "=", latest.purpose)
    .where("id", "<>", latest.id)
    .where("used_at", "is", null)
    .where("superseded_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("created_at", "<", latest.created_at),
        eb.and([eb("created_at", "=", latest.created_at), eb("id", "<", latest.id)]),
      ]),
    )
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

/** Whether a later code of the same device and purpose was sent (the order of supersedeEarlier). */
export async function hasLaterChallenge(db: Kysely<Schema>, row: ChallengeRow): Promise<boolean> {
  const later = await db
    .selectFrom("challenge_codes")
    .select("id")
    .where("authenticator_id", "=", row.authenticator_id)
    .where("purpose", "=", row.purpose)
    .where((eb) =>
      eb.or([
        eb("created_at", ">", row.created_at),
        eb.and([eb("created_at", "=", row.created_at), eb("id", ">", row.id)]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return later !== undefined;
}

/**
 * Spends the code: one conditional UPDATE, so of any number of requests presenting it (in one
 * process or many) exactly one sees its update applied. It must still be unused, not superseded,
 * not expired, and no later code of its device and purpose may exist.
 */
export async function spendChallenge(db: Kysely<Schema>, row: ChallengeRow, now: number): Promise<boolean> {
  const result = await db
    .updateTable("challenge_codes")
    .set({ used_at: now })
    .where("id", "=", row.id)
    .where("used_at", "is", null)
    .where("superseded_at", "is", null)
    .where("expires_at", ">", now)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("challenge_codes as later")
            .select("later.id")
            .where("later.authenticator_id", "=", row.authenticator_id)
            .where("later.purpose", "=", row.purpose)
            .where((eb) =>
              eb.or([
                eb("later.created_at", ">", row.created_at),
                eb.and([eb("later.created_at", "=", row.created_at), eb("later.id", ">", row.id)]),
              ]),
            ),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
