import { createHash, randomBytes } from "node:crypto";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Kysely, Selectable } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { PersonalAccessTokensTable, Schema } from "../../storage/schema.ts";
import { lockUserRow } from "../../users/lock-user-row.ts";

/**
 * Personal access tokens read `tpat_<43 base64url characters>`: 256 random bits behind a prefix
 * that secret scanners (GitHub's, gitleaks) can be taught, so a token pasted into a repository is
 * found. Only the SHA-256 is stored; a token is found by its hash through a unique index, so no
 * comparison of secret bytes ever runs in JavaScript (nothing to time), and a copy of the database
 * hands out no working token.
 */
export const patPattern = /^tpat_[A-Za-z0-9_-]{43}$/;
export const patHash = (token: string): string => createHash("sha256").update(token).digest("hex");

export type PatRow = Selectable<PersonalAccessTokensTable>;

export interface NewPat {
  readonly tenantId: string;
  readonly userId: string;
  readonly clientId: string;
  readonly name: string;
  readonly expiresAt: number;
}

/**
 * Stores a new token and returns it with its row; the token is never readable again. The per-user
 * cap (personalAccessTokens.maxPerUser) is counted and the row inserted in one transaction that
 * first locks the user's row on PostgreSQL (SQLite runs one write transaction at a time), so a
 * burst of creates from any number of processes cannot count the same free place twice.
 */
export async function createPat(ctx: ServerContext, pat: NewPat): Promise<{ token: string; row: PatRow }> {
  const now = ctx.clock.now();
  const token = `tpat_${randomBytes(32).toString("base64url")}`;
  const row: PatRow = {
    // Lowercase hex: sorts the same byte-wise (SQLite) and under any PostgreSQL collation.
    id: randomBytes(16).toString("hex"),
    tenant_id: pat.tenantId,
    user_id: pat.userId,
    client_id: pat.clientId,
    name: pat.name,
    token_hash: patHash(token),
    created_at: now,
    expires_at: pat.expiresAt,
    revoked_at: null,
    last_used_at: null,
  };
  const cap = ctx.config.personalAccessTokens.maxPerUser;
  await ctx.database.db.transaction().execute(async (trx) => {
    await lockUserRow(trx, ctx.database.dialect, pat.userId);
    const { count } = await trx
      .selectFrom("personal_access_tokens")
      .select((eb) => eb.fn.countAll<number | string | bigint>().as("count"))
      .where("tenant_id", "=", pat.tenantId)
      .where("user_id", "=", pat.userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirstOrThrow();
    if (Number(count) >= cap)
      throw new TesseraError(TesseraApiCode.PersonalAccessTokenLimitReached, {
        message: `the user already holds ${cap} live personal access tokens, the most allowed (personalAccessTokens.maxPerUser); revoke one first`,
      });
    await trx.insertInto("personal_access_tokens").values(row).execute();
  });
  return { token, row };
}

/** A page of the user's tokens, newest first, continuing after the key (created_at, id). */
export async function listPats(
  db: Kysely<Schema>,
  tenantId: string,
  userId: string,
  limit: number,
  after: readonly [number, string] | undefined,
): Promise<PatRow[]> {
  let query = db
    .selectFrom("personal_access_tokens")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId);
  if (after !== undefined) {
    const [createdAt, id] = after;
    query = query.where((eb) =>
      eb.or([
        eb("created_at", "<", createdAt),
        eb.and([eb("created_at", "=", createdAt), eb("id", "<", id)]),
      ]),
    );
  }
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}

/**
 * Revokes the user's token `id` (a repeat keeps the first time); undefined when the tenant's user
 * has no such token, whoever else may have one with that id.
 */
export async function revokePat(
  db: Kysely<Schema>,
  tenantId: string,
  userId: string,
  id: string,
  now: number,
): Promise<PatRow | undefined> {
  await db
    .updateTable("personal_access_tokens")
    .set({ revoked_at: now })
    .where("id", "=", id)
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .execute();
  return db
    .selectFrom("personal_access_tokens")
    .selectAll()
    .where("id", "=", id)
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

/** The tenant's token with this value, in whatever state; undefined for a malformed or unknown one. */
export async function findPatByToken(
  db: Kysely<Schema>,
  tenantId: string,
  token: string,
): Promise<PatRow | undefined> {
  if (!patPattern.test(token)) return undefined;
  return db
    .selectFrom("personal_access_tokens")
    .selectAll()
    .where("token_hash", "=", patHash(token))
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
}

/**
 * Records an exchange; false when the PAT was revoked meanwhile (one conditional update, so it
 * and a concurrent revoke are ordered by the database, on PostgreSQL by the row lock).
 */
export async function markPatUsed(db: Kysely<Schema>, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable("personal_access_tokens")
    .set({ last_used_at: now })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
