import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { Schema, SsoActivationsTable } from "../../storage/schema.ts";

/**
 * Activations as stored (migration 018). The id is 256 random bits that only the e-mailed link
 * carries; the row is found by the id's SHA-256, so neither a copy of the database nor a timing
 * difference in a comparison hands one out (the lookup is by digest, never by the id itself).
 * Every step moves `state` by compare-and-set on the state it expects, so of any number of
 * concurrent posts of one step, in one process or many, exactly one moves it.
 */
export type ActivationRow = Selectable<SsoActivationsTable>;
export type ActivationState = "password" | "totp" | "done" | "replaced";

export const activationIdPattern = /^[A-Za-z0-9_-]{43}$/;
export const activationDigest = (id: string) => createHash("sha256").update(id).digest("hex");

/** Stores a new activation for the user, replacing (ending) the user's open one, if any. */
export async function openActivation(
  db: Kysely<Schema>,
  fields: { tenantId: string; userId: string; apps: readonly string[]; now: number; expiresAt: number },
): Promise<{ id: string; idHash: string }> {
  const id = randomBytes(32).toString("base64url");
  const idHash = activationDigest(id);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("sso_activations")
      .set({ state: "replaced", used_at: fields.now, updated_at: fields.now })
      .where("user_id", "=", fields.userId)
      .where("used_at", "is", null)
      .execute();
    await trx
      .insertInto("sso_activations")
      .values({
        id_hash: idHash,
        tenant_id: fields.tenantId,
        user_id: fields.userId,
        apps: JSON.stringify(fields.apps),
        state: "password",
        authenticator_id: null,
        expires_at: fields.expiresAt,
        used_at: null,
        created_at: fields.now,
        updated_at: fields.now,
      })
      .execute();
  });
  return { id, idHash };
}

/** Removes an activation whose e-mail could not be sent: its link was never delivered. */
export async function dropActivation(db: Kysely<Schema>, idHash: string): Promise<void> {
  await db.deleteFrom("sso_activations").where("id_hash", "=", idHash).execute();
}

export function findActivation(db: Kysely<Schema>, id: string): Promise<ActivationRow | undefined> {
  return db
    .selectFrom("sso_activations")
    .selectAll()
    .where("id_hash", "=", activationDigest(id))
    .executeTakeFirst();
}

/**
 * Moves an open, unexpired activation from `from` to `to` (ending it when `to` is done); false
 * when another request moved it first or it expired meanwhile.
 */
export async function moveActivation(
  db: Kysely<Schema>,
  row: ActivationRow,
  from: ActivationState,
  to: ActivationState,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable("sso_activations")
    .set({ state: to, updated_at: now, ...(to === "done" ? { used_at: now } : {}) })
    .where("id_hash", "=", row.id_hash)
    .where("state", "=", from)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records the token enrolled for this activation; false when another request recorded one first. */
export async function attachToken(db: Kysely<Schema>, row: ActivationRow, authenticatorId: string) {
  const result = await db
    .updateTable("sso_activations")
    .set({ authenticator_id: authenticatorId })
    .where("id_hash", "=", row.id_hash)
    .where("authenticator_id", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The activation's apps that still exist in its tenant, as {clientId, name}. */
export async function appsOf(db: Kysely<Schema>, row: ActivationRow) {
  const clientIds = JSON.parse(row.apps) as string[];
  if (clientIds.length === 0) return [];
  return db
    .selectFrom("sso_apps")
    .select(["client_id as clientId", "name"])
    .where("tenant_id", "=", row.tenant_id)
    .where("client_id", "in", clientIds)
    .orderBy("name")
    .execute();
}

/** Assigns the apps to the user; assigning one twice changes nothing. */
export async function assignApps(
  db: Kysely<Schema>,
  row: ActivationRow,
  clientIds: readonly string[],
  now: number,
): Promise<void> {
  if (clientIds.length === 0) return;
  await db
    .insertInto("sso_app_users")
    .values(
      clientIds.map((clientId) => ({
        client_id: clientId,
        user_id: row.user_id,
        tenant_id: row.tenant_id,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(["client_id", "user_id"]).doNothing())
    .execute();
}
