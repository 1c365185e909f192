import { ApiReturnCode } from "@tessera/codes";
import type { Selectable } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { WebauthnCredentialsTable } from "../../storage/schema.ts";
import type { AuthenticatorRow } from "../authenticator-store.ts";

export type CredentialRow = Selectable<WebauthnCredentialsTable>;

/** A credential with the authenticators row that holds its sealed key and its enabled/locked state. */
export interface StoredCredential {
  readonly credential: CredentialRow;
  readonly authenticator: AuthenticatorRow;
}

/** The tenant's credential with this id (base64url), or undefined (another tenant's too). */
export async function findCredential(
  ctx: ServerContext,
  tenantId: string,
  credentialId: string,
): Promise<StoredCredential | undefined> {
  const credential = await ctx.database.db
    .selectFrom("webauthn_credentials")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("credential_id", "=", credentialId)
    .executeTakeFirst();
  if (credential === undefined) return undefined;
  const authenticator = await ctx.database.db
    .selectFrom("authenticators")
    .selectAll()
    .where("id", "=", credential.authenticator_id)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (authenticator === undefined) return undefined;
  // pg hands bigint columns over as strings.
  return { credential: { ...credential, sign_count: Number(credential.sign_count) }, authenticator };
}

/** The user's credentials with their authenticators rows, oldest first. */
export async function credentialsOfUser(ctx: ServerContext, userId: string): Promise<StoredCredential[]> {
  const { db } = ctx.database;
  const credentials = await db
    .selectFrom("webauthn_credentials")
    .selectAll()
    .where("user_id", "=", userId)
    .orderBy("created_at")
    .execute();
  if (credentials.length === 0) return [];
  const authenticators = await db
    .selectFrom("authenticators")
    .selectAll()
    .where(
      "id",
      "in",
      credentials.map((c) => c.authenticator_id),
    )
    .execute();
  const byId = new Map(authenticators.map((a) => [a.id, a]));
  return credentials.flatMap((credential) => {
    const authenticator = byId.get(credential.authenticator_id);
    return authenticator === undefined
      ? []
      : [{ credential: { ...credential, sign_count: Number(credential.sign_count) }, authenticator }];
  });
}

/**
 * Records an accepted assertion: the new signature counter by a compare-and-set, so that of two
 * verifications racing (in one process or two) with counters n and m the database keeps the larger
 * and the one that does not move it on is refused. An authenticator that does not count (0 stored,
 * 0 sent) is accepted with the counter left at 0. `last_used_at` and the flags seen move with it.
 * False when the counter did not move forward: the caller refuses and flags the key.
 */
export async function advanceCounter(
  ctx: ServerContext,
  credential: CredentialRow,
  seen: { counter: number; backedUp: boolean; userVerified: boolean },
  now: number,
): Promise<boolean> {
  const result = await ctx.database.db
    .updateTable("webauthn_credentials")
    .set({
      sign_count: seen.counter,
      last_used_at: now,
      backed_up: seen.backedUp ? 1 : 0,
      // Accepted after an administrator re-enabled a flagged key: the flag has been dealt with.
      clone_suspected_at: null,
      ...(seen.userVerified ? { user_verified: 1 } : {}),
    })
    .where("authenticator_id", "=", credential.authenticator_id)
    .where((eb) => (seen.counter === 0 ? eb("sign_count", "=", 0) : eb("sign_count", "<", seen.counter)))
    // Still enabled at the write: a verification racing the flagging of this key (or an
    // administrator disabling it) cannot slip through, nor clear the flag just set.
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("authenticators")
          .select("authenticators.id")
          .whereRef("authenticators.id", "=", "webauthn_credentials.authenticator_id")
          .where("authenticators.enabled", "=", 1),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * A counter that did not move forward for an authenticator that counts: a possible clone (WebAuthn
 * §6.1.1). The credential is flagged and its authenticators row disabled in one transaction, so
 * every later assertion is refused (the disabled check) until an administrator has looked and
 * re-enables the key with POST /v1/authenticators/{serial}/enable; the next accepted assertion
 * after that clears the flag. An audit event records it (never the assertion itself).
 */
export async function flagClone(
  ctx: ServerContext,
  stored: StoredCredential,
  seen: { counter: number; requestId?: string | undefined; sourceIp?: string | undefined },
  now: number,
): Promise<void> {
  await ctx.database.db.transaction().execute(async (trx) => {
    await trx
      .updateTable("webauthn_credentials")
      .set({ clone_suspected_at: now })
      .where("authenticator_id", "=", stored.credential.authenticator_id)
      .execute();
    await trx
      .updateTable("authenticators")
      .set({ enabled: 0, updated_at: now })
      .where("id", "=", stored.authenticator.id)
      .execute();
  });
  await ctx.audit.append({
    at: now,
    tenantId: stored.credential.tenant_id,
    actor: "system",
    subject: `authenticator:${stored.authenticator.serial}`,
    sourceIp: seen.sourceIp ?? null,
    operation: `webauthn signature counter did not move forward (${seen.counter} after ${stored.credential.sign_count}): possible clone, key disabled`,
    resultCode: ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid,
    durationMs: null,
    requestId: seen.requestId ?? null,
  });
}
