import { randomUUID } from "node:crypto";
import { type Kysely, type Selectable, sql, type Updateable } from "kysely";
import { perDatabase, preparedQuery } from "../storage/prepared-query.ts";
import type { Schema, UsersTable } from "../storage/schema.ts";

export type UserRow = Selectable<UsersTable>;

export interface NewUser {
  readonly username: string;
  readonly email?: string | null | undefined;
  readonly mobile?: string | null | undefined;
  readonly firstName?: string | null | undefined;
  readonly lastName?: string | null | undefined;
  readonly disabled?: boolean | undefined;
  readonly expiresAt?: number | null | undefined;
  readonly passwordHash?: string | null | undefined;
}

export type UserChanges = Omit<NewUser, "username" | "passwordHash">;

/** A new user's row: never signed in, nothing failed, nothing locked. (Bulk seeding uses it too.) */
export function newUserRow(tenantId: string, user: NewUser, now: number, id: string = randomUUID()): UserRow {
  return {
    id,
    tenant_id: tenantId,
    username: user.username,
    email: user.email?.toLowerCase() ?? null,
    mobile: user.mobile ?? null,
    first_name: user.firstName ?? null,
    last_name: user.lastName ?? null,
    disabled: user.disabled ? 1 : 0,
    expires_at: user.expiresAt ?? null,
    password_hash: user.passwordHash ?? null,
    password_changed_at: user.passwordHash ? now : null,
    failed_attempts: 0,
    lock_count: 0,
    locked_until: null,
    created_at: now,
    updated_at: now,
    consecutive_failures: 0,
  };
}

/** Inserts a user; undefined when the username is taken in the tenant. */
export async function insertUser(
  db: Kysely<Schema>,
  tenantId: string,
  user: NewUser,
  now: number,
): Promise<UserRow | undefined> {
  const row = newUserRow(tenantId, user, now);
  const result = await db
    .insertInto("users")
    .values(row)
    .onConflict((oc) => oc.columns(["tenant_id", "username"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? row : undefined;
}

const userQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, { tenantId: string; username: string }, UserRow>(db, (p) =>
    db
      .selectFrom("users")
      .selectAll()
      .where("tenant_id", "=", p("tenantId"))
      .where("username", "=", p("username")),
  ),
);

export async function findUser(
  db: Kysely<Schema>,
  tenantId: string,
  username: string,
): Promise<UserRow | undefined> {
  return (await userQuery(db)({ tenantId, username }))[0];
}

export async function updateUser(
  db: Kysely<Schema>,
  userId: string,
  changes: UserChanges & { unlock?: boolean | undefined },
  now: number,
): Promise<UserRow | undefined> {
  const set: Updateable<UsersTable> = { updated_at: now };
  if (changes.email !== undefined) set.email = changes.email?.toLowerCase() ?? null;
  if (changes.mobile !== undefined) set.mobile = changes.mobile;
  if (changes.firstName !== undefined) set.first_name = changes.firstName;
  if (changes.lastName !== undefined) set.last_name = changes.lastName;
  if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0;
  if (changes.expiresAt !== undefined) set.expires_at = changes.expiresAt;
  if (changes.unlock === true)
    Object.assign(set, { locked_until: null, failed_attempts: 0, lock_count: 0, consecutive_failures: 0 });
  return db.updateTable("users").set(set).where("id", "=", userId).returningAll().executeTakeFirst();
}

/**
 * Deletes a user with their sessions and recovery requests (foreign keys cascade). Their tokens
 * are unassigned and disabled in the same transaction: an unassigned, enabled token would go back
 * into the pool, and the next user could receive a seed the deleted user still holds. Their
 * security keys are deleted: a key is bound to its user (its credential row goes with the user),
 * and a webauthn row left without one would be a factor nobody can use.
 */
export async function deleteUser(db: Kysely<Schema>, userId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom("authenticators")
      .where("user_id", "=", userId)
      .where("type", "=", "webauthn")
      .execute();
    await trx
      .updateTable("authenticators")
      .set({ enabled: 0, user_id: null })
      .where("user_id", "=", userId)
      .execute();
    await trx.deleteFrom("users").where("id", "=", userId).execute();
  });
}

export interface UserQuery {
  readonly by: "username" | "email";
  /** `*` matches any run of characters, `?` one character; case-insensitive. */
  readonly pattern: string | undefined;
  readonly limit: number;
  /** The last username of the previous page. */
  readonly after: string | undefined;
}

/** LIKE with the pattern's own % and _ escaped, so only * and ? are wildcards. */
export function likePattern(pattern: string): string {
  return pattern
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replaceAll("*", "%")
    .replaceAll("?", "_");
}

export async function listUsers(db: Kysely<Schema>, tenantId: string, query: UserQuery): Promise<UserRow[]> {
  let q = db.selectFrom("users").selectAll().where("tenant_id", "=", tenantId);
  if (query.pattern !== undefined && query.pattern !== "") {
    const like = likePattern(query.pattern);
    // SQLite has no default LIKE escape character; naming one makes both backends agree.
    q = q.where(sql<boolean>`${sql.ref(query.by)} like ${like} escape '\\'`);
  }
  if (query.after !== undefined) q = q.where("username", ">", query.after);
  return q.orderBy("username").limit(query.limit).execute();
}
