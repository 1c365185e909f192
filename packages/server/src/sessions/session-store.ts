import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
import type { Schema } from "../storage/schema.ts";

/**
 * Session tokens read `tss_<43 base64url chars>`: 256 random bits. Only their SHA-256 is stored, so
 * a database leak does not hand out live sessions; lookups by hash are constant-time in effect
 * (an index lookup on a digest reveals nothing about the token).
 */
export const sessionTokenPattern = /^tss_[A-Za-z0-9_-]{43}$/;
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

export interface SessionView {
  readonly username: string;
  readonly type: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export async function createSession(
  db: Kysely<Schema>,
  session: { tenantId: string; userId: string; type: string; createdAt: number; expiresAt: number },
): Promise<string> {
  const token = `tss_${randomBytes(32).toString("base64url")}`;
  await db
    .insertInto("sessions")
    .values({
      token_hash: hash(token),
      tenant_id: session.tenantId,
      user_id: session.userId,
      type: session.type,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      revoked_at: null,
    })
    .execute();
  return token;
}

type LiveSessionRow = { username: string; type: string; created_at: number; expires_at: number };
const liveSessionQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, { hash: string; tenantId: string; now: number }, LiveSessionRow>(db, (p) =>
    db
      .selectFrom("sessions")
      .innerJoin("users", "users.id", "sessions.user_id")
      .select(["users.username", "sessions.type", "sessions.created_at", "sessions.expires_at"])
      .where("sessions.token_hash", "=", p("hash"))
      .where("sessions.tenant_id", "=", p("tenantId"))
      .where("sessions.revoked_at", "is", null)
      .where("sessions.expires_at", ">", p("now"))
      .where("users.disabled", "=", 0)
      .where((eb) => eb.or([eb("users.expires_at", "is", null), eb("users.expires_at", ">", p("now"))])),
  ),
);

/** A live session of this tenant whose user can still sign in; undefined otherwise. */
export async function findLiveSession(
  db: Kysely<Schema>,
  tenantId: string,
  token: string,
  now: number,
): Promise<SessionView | undefined> {
  if (!sessionTokenPattern.test(token)) return undefined;
  const [row] = await liveSessionQuery(db)({ hash: hash(token), tenantId, now });
  return row === undefined
    ? undefined
    : { username: row.username, type: row.type, createdAt: row.created_at, expiresAt: row.expires_at };
}

/** Expires a live session; false when it was unknown, already expired or revoked. */
export async function revokeSession(
  db: Kysely<Schema>,
  tenantId: string,
  token: string,
  now: number,
): Promise<boolean> {
  if (!sessionTokenPattern.test(token)) return false;
  const result = await db
    .updateTable("sessions")
    .set({ revoked_at: now })
    .where("token_hash", "=", hash(token))
    .where("tenant_id", "=", tenantId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** After a password change or recovery, every other session of the user ends. */
export async function revokeUserSessions(db: Kysely<Schema>, userId: string, now: number): Promise<void> {
  await db
    .updateTable("sessions")
    .set({ revoked_at: now })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .execute();
}
