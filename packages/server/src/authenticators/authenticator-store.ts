import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { AttemptPolicy } from "../attempts/attempt-limiter.ts";
import { perDatabase, preparedCommand, preparedQuery } from "../storage/prepared-query.ts";
import type { AuthenticatorsTable, Schema } from "../storage/schema.ts";
import type { Tenant } from "../tenants/tenant-store.ts";

export type AuthenticatorRow = Selectable<AuthenticatorsTable>;

/** A new row id; the secret's ciphertext is bound to it, so it is chosen before encrypting. */
export const newAuthenticatorId = (): string => randomUUID();

type IdentityFields = Pick<
  AuthenticatorRow,
  "id" | "tenant_id" | "serial" | "type" | "secret_enc" | "algorithm" | "digits" | "period"
>;

/** A new token's row: enabled, unassigned, activated unless said otherwise, nothing counted yet. */
export function newAuthenticatorRow(
  fields: IdentityFields & Partial<AuthenticatorRow>,
  now: number,
): AuthenticatorRow {
  return {
    user_id: null,
    enabled: 1,
    activated: 1,
    position: 0,
    drift: 0,
    failures: 0,
    locked_until: null,
    uses: 0,
    max_uses: null,
    provision_hash: null,
    provision_expires_at: null,
    provisioned_at: null,
    // Fail closed: a token is taken as soft (its seed known outside) unless its creator says not.
    seed_revealed: 1,
    created_at: now,
    updated_at: now,
    lock_count: 0,
    consecutive_failures: 0,
    ...fields,
  };
}

/** Undefined when the serial exists already (in any tenant). */
export async function insertAuthenticator(
  db: Kysely<Schema>,
  row: AuthenticatorRow,
): Promise<AuthenticatorRow | undefined> {
  const result = await db
    .insertInto("authenticators")
    .values(row)
    .onConflict((oc) => oc.column("serial").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? row : undefined;
}

/** By serial across all tenants: serials of hardware tokens are global. */
export function findBySerial(db: Kysely<Schema>, serial: string): Promise<AuthenticatorRow | undefined> {
  return db.selectFrom("authenticators").selectAll().where("serial", "=", serial).executeTakeFirst();
}

const forUserQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, { userId: string }, AuthenticatorRow>(db, (p) =>
    db.selectFrom("authenticators").selectAll().where("user_id", "=", p("userId")).orderBy("created_at"),
  ),
);

export function findForUser(db: Kysely<Schema>, userId: string): Promise<AuthenticatorRow[]> {
  return forUserQuery(db)({ userId });
}

type AcceptParams = { id: string; read: number; position: number; drift: number; now: number };
const acceptCommand = perDatabase((db: Kysely<Schema>) =>
  preparedCommand<Schema, AcceptParams>(db, (p) =>
    db
      .updateTable("authenticators")
      .set((eb) => ({
        position: p("position"),
        drift: p("drift"),
        failures: 0,
        lock_count: 0,
        consecutive_failures: 0,
        locked_until: null,
        uses: eb("uses", "+", 1),
        updated_at: p("now"),
      }))
      .where("id", "=", p("id"))
      .where("position", "=", p("read")),
  ),
);

/**
 * Accepts a code: moves the position from exactly what was read to the matched one. Of several
 * requests presenting the same code, in one process or many, only one sees its update applied.
 * The same statement settles the attempt as a success (the attempt limiter's counters start
 * afresh), so a code is never spent without its success being counted, and the hot path pays
 * one write for both.
 */
export async function acceptPosition(
  db: Kysely<Schema>,
  row: AuthenticatorRow,
  position: number,
  drift: number,
  now: number,
): Promise<boolean> {
  return (await acceptCommand(db)({ id: row.id, read: row.position, position, drift, now })) === 1;
}

/**
 * Activates (or resynchronises) a token at the position its code(s) matched: a compare-and-set on
 * the position read, like acceptPosition, so concurrent requests with the same code activate once
 * and the code is spent for validation too. Clears the attempt counters in the same statement.
 * Undefined when another request moved the position first.
 */
export function activateAt(
  db: Kysely<Schema>,
  row: AuthenticatorRow,
  position: number,
  drift: number,
  now: number,
): Promise<AuthenticatorRow | undefined> {
  return db
    .updateTable("authenticators")
    .set({
      position,
      drift,
      activated: 1,
      failures: 0,
      lock_count: 0,
      consecutive_failures: 0,
      locked_until: null,
      updated_at: now,
    })
    .where("id", "=", row.id)
    .where("position", "=", row.position)
    .returningAll()
    .executeTakeFirst();
}

/** The tenant's limits for wrong codes, for the shared attempt limiter (attempts/). */
export function otpAttemptPolicy(tenant: Tenant): AttemptPolicy {
  return {
    maxFailures: tenant.otpMaxFailures,
    lockMs: tenant.otpLockoutSeconds * 1000,
    maxConsecutive: tenant.maxConsecutiveFailures,
  };
}

export async function updateAuthenticator(
  db: Kysely<Schema>,
  id: string,
  set: Partial<Omit<AuthenticatorRow, "id" | "tenant_id" | "serial" | "type">>,
  now: number,
): Promise<AuthenticatorRow | undefined> {
  return db
    .updateTable("authenticators")
    .set({ ...set, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Assigns unless another user holds it (force moves it); undefined when another user holds it. A
 * forced move from another user is an unassignment first: a soft token is disabled (the former
 * user's app still makes its codes) and open provisioning links are withdrawn.
 */
export async function assignAuthenticator(
  db: Kysely<Schema>,
  id: string,
  userId: string,
  force: boolean,
  now: number,
): Promise<AuthenticatorRow | undefined> {
  let query = db
    .updateTable("authenticators")
    .set((eb) => {
      const keeps = eb.or([eb("user_id", "is", null), eb("user_id", "=", userId)]);
      return {
        user_id: userId,
        enabled: eb
          .case()
          .when(eb.or([keeps, eb("seed_revealed", "=", 0)]))
          .then(eb.ref("enabled"))
          .else(0)
          .end(),
        provision_hash: eb.case().when(keeps).then(eb.ref("provision_hash")).else(null).end(),
        provision_expires_at: eb.case().when(keeps).then(eb.ref("provision_expires_at")).else(null).end(),
        updated_at: now,
      };
    })
    .where("id", "=", id);
  if (!force) query = query.where((eb) => eb.or([eb("user_id", "is", null), eb("user_id", "=", userId)]));
  return query.returningAll().executeTakeFirst();
}

export async function deleteAuthenticator(db: Kysely<Schema>, id: string): Promise<void> {
  await db.deleteFrom("authenticators").where("id", "=", id).execute();
}

/**
 * Takes the oldest unassigned token of the pool (optionally of one type) for the user. The pool
 * holds only tokens whose seed never left the import (PSKC hardware tokens): a soft token's seed is
 * known to whoever received it, so handing it to someone else would share a second factor. The
 * compare-and-set on user_id means two concurrent requests never receive the same token.
 */
export async function assignNextFromPool(
  db: Kysely<Schema>,
  tenantId: string,
  userId: string,
  type: string | undefined,
  now: number,
): Promise<AuthenticatorRow | undefined> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    let pick = db
      .selectFrom("authenticators")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("user_id", "is", null)
      .where("enabled", "=", 1)
      .where("seed_revealed", "=", 0);
    if (type !== undefined) pick = pick.where("type", "=", type);
    const candidate = await pick.orderBy("created_at").orderBy("serial").limit(1).executeTakeFirst();
    if (candidate === undefined) return undefined;
    const taken = await db
      .updateTable("authenticators")
      .set({ user_id: userId, updated_at: now })
      .where("id", "=", candidate.id)
      .where("user_id", "is", null)
      .where("seed_revealed", "=", 0)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return { ...candidate, user_id: userId };
  }
  return undefined;
}

/**
 * Takes a token from its user. A soft token is disabled: its seed stays in the former user's app.
 * Any open provisioning link is withdrawn, so a link issued to the former user cannot re-seed the
 * token after it is handed to someone else. The seed check is in the statement itself, so a link
 * redeemed concurrently cannot leave a revealed token enabled.
 */
export async function unassignAuthenticator(
  db: Kysely<Schema>,
  id: string,
  now: number,
): Promise<AuthenticatorRow | undefined> {
  return db
    .updateTable("authenticators")
    .set((eb) => ({
      user_id: null,
      enabled: eb.case().when("seed_revealed", "=", 0).then(eb.ref("enabled")).else(0).end(),
      provision_hash: null,
      provision_expires_at: null,
      updated_at: now,
    }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}
