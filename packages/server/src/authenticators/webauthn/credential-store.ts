import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Kysely, Transaction } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { Schema, WebauthnCredentialsTable } from "../../storage/schema.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";
import { lockUserRow } from "../../users/lock-user-row.ts";
import { newAuthenticatorId, newAuthenticatorRow } from "../authenticator-store.ts";
import { generateSerial } from "../serial.ts";
import { sealCredentialKey } from "./credential-key.ts";
import { type KeyRow, keyView, type WebAuthnKeyView } from "./webauthn-key-view.ts";

/**
 * The rows of a security key: an `authenticators` row (type webauthn, so the generic listing,
 * enable, disable and delete work as for every type; its secret_enc seals the COSE public key)
 * and its `webauthn_credentials` row (what ceremonies look up in the clear). Both are written in
 * one transaction: a key is never half-stored.
 */
export type NewCredential = Omit<
  WebauthnCredentialsTable,
  "authenticator_id" | "created_at" | "last_used_at" | "clone_suspected_at"
>;

const keyColumns = [
  "authenticators.serial",
  "authenticators.enabled",
  "webauthn_credentials.credential_id",
  "webauthn_credentials.name",
  "webauthn_credentials.aaguid",
  "webauthn_credentials.attestation_format",
  "webauthn_credentials.backup_eligible",
  "webauthn_credentials.backed_up",
  "webauthn_credentials.transports",
  "webauthn_credentials.u2f_app_id",
  "webauthn_credentials.created_at",
  "webauthn_credentials.last_used_at",
  "webauthn_credentials.clone_suspected_at",
  "webauthn_credentials.user_verified",
] as const;

const keys = (db: Kysely<Schema> | Transaction<Schema>) =>
  db
    .selectFrom("webauthn_credentials")
    .innerJoin("authenticators", "authenticators.id", "webauthn_credentials.authenticator_id")
    .select(keyColumns);

const alreadyRegistered = () =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FInvalidRegData, {
    message: "this credential is already registered in the tenant",
    field: "body.response.id",
  });

/**
 * Stores a new key. A credential id the tenant already has is InvalidRegData: a genuine
 * authenticator makes a fresh id per registration (and excludeCredentials keeps a user's own key
 * from registering twice), so a repeated id is a replayed or forged response; the unique
 * constraint (tenant, credential id) decides it, so concurrent registrations cannot both store it.
 */
export async function insertCredential(
  ctx: ServerContext,
  credential: NewCredential,
  input: { readonly publicKey: Uint8Array; readonly algorithm: string },
): Promise<WebAuthnKeyView> {
  const now = ctx.clock.now();
  const id = newAuthenticatorId();
  const authenticator = newAuthenticatorRow(
    {
      id,
      tenant_id: credential.tenant_id,
      serial: generateSerial("webauthn"),
      type: "webauthn",
      user_id: credential.user_id,
      secret_enc: sealCredentialKey(ctx, id, input.publicKey),
      algorithm: input.algorithm,
      digits: 0,
      period: null,
      // The private key never leaves the authenticator: nothing about it is "revealed".
      seed_revealed: 0,
    },
    now,
  );
  const row = {
    ...credential,
    authenticator_id: id,
    created_at: now,
    last_used_at: null,
    clone_suspected_at: null,
  };
  await ctx.database.db.transaction().execute(async (trx) => {
    await trx.insertInto("authenticators").values(authenticator).execute();
    const inserted = await trx
      .insertInto("webauthn_credentials")
      .values(row)
      .onConflict((oc) => oc.columns(["tenant_id", "credential_id"]).doNothing())
      .executeTakeFirst();
    // Throwing rolls the authenticators row back with it.
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw alreadyRegistered();
  });
  return keyView({ ...row, serial: authenticator.serial, enabled: authenticator.enabled });
}

/** The user's keys, oldest first. */
export async function listCredentials(ctx: ServerContext, userId: string): Promise<WebAuthnKeyView[]> {
  const rows = await keys(ctx.database.db)
    .where("webauthn_credentials.user_id", "=", userId)
    .orderBy("webauthn_credentials.created_at")
    .orderBy("authenticators.serial")
    .execute();
  return rows.map((row) => keyView(row as KeyRow));
}

/** The tenant's key with this serial (another tenant's is not found). */
export async function findKey(
  ctx: ServerContext,
  tenantId: string,
  serial: string,
): Promise<(KeyRow & { readonly authenticatorId: string; readonly userId: string }) | undefined> {
  const row = await keys(ctx.database.db)
    .select(["webauthn_credentials.authenticator_id", "webauthn_credentials.user_id"])
    .where("authenticators.serial", "=", serial)
    .where("authenticators.tenant_id", "=", tenantId)
    .where("webauthn_credentials.tenant_id", "=", tenantId)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { ...(row as KeyRow), authenticatorId: row.authenticator_id, userId: row.user_id };
}

/** Renames the tenant's key; DeviceNotFound for an unknown serial or another tenant's. */
export async function renameKey(
  ctx: ServerContext,
  tenantId: string,
  serial: string,
  name: string,
): Promise<WebAuthnKeyView> {
  const key = await findKey(ctx, tenantId, serial);
  if (key === undefined)
    throw new TesseraError(ApiReturnCode.DeviceNotFound, {
      message: `no security key ${serial}`,
      field: "params.serial",
    });
  await ctx.database.db
    .updateTable("webauthn_credentials")
    .set({ name })
    .where("authenticator_id", "=", key.authenticatorId)
    .where("tenant_id", "=", tenantId)
    .execute();
  return keyView({ ...key, name });
}

const deleteFailed = (message: string) =>
  new TesseraError(ApiReturnCode.PartnerUserFIDOU2FDeleteSecurityKeyFailed, {
    message,
    field: "params.serial",
  });

/**
 * Deletes the tenant's security key. DeleteSecurityKeyFailed: an unknown serial or another
 * tenant's (the same answer, so serials of other tenants are not revealed), a serial of another
 * type (deleted through /v1/authenticators), or the user's last usable second factor while the
 * tenant requires one (ssoSecondFactor "required"): usable is enabled and activated, of any type.
 * The user's row is locked first (PostgreSQL; SQLite writes one transaction at a time), so two
 * concurrent deletions of a user's last two keys cannot both see the other one left.
 */
export async function deleteKey(ctx: ServerContext, tenant: Tenant, serial: string): Promise<void> {
  await ctx.database.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("authenticators")
      .select(["id", "type", "user_id", "enabled", "activated"])
      .where("serial", "=", serial)
      .where("tenant_id", "=", tenant.id)
      .executeTakeFirst();
    if (row === undefined) throw deleteFailed(`no security key ${serial}`);
    if (row.type !== "webauthn")
      throw deleteFailed(`${serial} is not a security key (DELETE /v1/authenticators/${serial} removes it)`);
    if (
      row.user_id !== null &&
      tenant.ssoSecondFactor === "required" &&
      row.enabled === 1 &&
      row.activated === 1
    ) {
      await lockUserRow(trx, ctx.database.dialect, row.user_id);
      const others = await trx
        .selectFrom("authenticators")
        .select("id")
        .where("user_id", "=", row.user_id)
        .where("id", "!=", row.id)
        .where("enabled", "=", 1)
        .where("activated", "=", 1)
        .limit(1)
        .execute();
      if (others.length === 0)
        throw deleteFailed(
          `${serial} is the user's last second factor and the tenant requires one (ssoSecondFactor): add another first`,
        );
    }
    await trx.deleteFrom("webauthn_credentials").where("authenticator_id", "=", row.id).execute();
    await trx.deleteFrom("authenticators").where("id", "=", row.id).execute();
  });
}

/** The user's credential ids (with transports), for excludeCredentials. */
export async function listCredentialIds(
  ctx: ServerContext,
  tenantId: string,
  userId: string,
): Promise<{ id: string; transports?: string[] }[]> {
  const rows = await ctx.database.db
    .selectFrom("webauthn_credentials")
    .select(["credential_id", "transports"])
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .orderBy("created_at")
    .execute();
  return rows.map((row) => ({ id: row.credential_id, transports: JSON.parse(row.transports) as string[] }));
}
