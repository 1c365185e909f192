import { randomUUID } from "node:crypto";
import { CredentialStatus, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Kysely, Transaction } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import { isUniqueViolation } from "../../storage/database-failure.ts";
import type { LinkCredentialsTable, Schema } from "../../storage/schema.ts";
import { credentialFields, sealJson } from "../link-secrets.ts";
import type { Site } from "../sites/site.ts";
import { enqueueEvent } from "../webhooks/webhook-outbox.ts";
import { loginHashCandidates } from "./login-lookup.ts";

export type CredentialRow = LinkCredentialsTable;

/**
 * The credential for this user, site and site login: created, or found and given the new fields
 * (the user may have changed their password at the site). Concurrent calls converge on one row.
 * The login is looked up by a keyed hash (login-lookup.ts); a row found under an older form of the
 * hash is moved to the active key's as it is updated.
 */
export async function saveCredential(
  ctx: ServerContext,
  input: {
    tenantId: string;
    userId: string;
    site: Site;
    login: string;
    fields: Record<string, string>;
    now: number;
  },
): Promise<{ credential: CredentialRow; isNew: boolean }> {
  const { db } = ctx.database;
  const { keys } = ctx;
  const { active: hash, all } = loginHashCandidates(
    keys,
    input.tenantId,
    input.site.id,
    input.login,
    ctx.link.plainLoginHashes,
  );
  const find = async () => {
    const rows = await db
      .selectFrom("link_credentials")
      .selectAll()
      .where("tenant_id", "=", input.tenantId)
      .where("user_id", "=", input.userId)
      .where("site_id", "=", input.site.id)
      .where("login_hash", "in", all)
      .execute();
    return rows.find((row) => row.login_hash === hash) ?? rows[0];
  };
  const existing = await find();
  if (existing === undefined) {
    const id = randomUUID();
    const row: CredentialRow = {
      id,
      tenant_id: input.tenantId,
      user_id: input.userId,
      site_id: input.site.id,
      login_hash: hash,
      fields_enc: sealJson(keys, credentialFields, id, input.fields),
      status: CredentialStatus.Register,
      last_job_id: null,
      last_sync_at: null,
      synced_until: null,
      created_at: input.now,
      updated_at: input.now,
    };
    const inserted = await db.transaction().execute(async (trx) => {
      await requireSiteStill(ctx, trx, input.site);
      const result = await trx
        .insertInto("link_credentials")
        .values(row)
        .onConflict((oc) => oc.columns(["tenant_id", "user_id", "site_id", "login_hash"]).doNothing())
        .executeTakeFirst();
      if (result.numInsertedOrUpdatedRows !== 1n) return false;
      await enqueueEvent(
        trx,
        input.tenantId,
        "credential.created",
        { credentialId: id, siteId: input.site.id },
        input.now,
      );
      return true;
    });
    if (inserted) return { credential: row, isNew: true };
  }
  const current = existing ?? (await find());
  if (current === undefined) throw new Error("credential vanished while being saved");
  const fields_enc = sealJson(keys, credentialFields, current.id, input.fields);
  const update = (login_hash: string) =>
    db
      .updateTable("link_credentials")
      .set({ fields_enc, login_hash, updated_at: input.now })
      .where("id", "=", current.id)
      .execute();
  let login_hash = hash;
  try {
    // Moved to the active key's hash as it is updated (found under an older one).
    await update(hash);
  } catch (error) {
    // A concurrent save inserted the same login under the active hash meanwhile: this row keeps
    // its older hash (start-up's conversion marks it a duplicate) and still takes the new fields.
    if (!isUniqueViolation(error) || current.login_hash === hash) throw error;
    login_hash = current.login_hash;
    await update(login_hash);
  }
  return { credential: { ...current, fields_enc, login_hash, updated_at: input.now }, isNew: false };
}

/**
 * The site looked up before the save may have been removed since, and its id taken by another
 * tenant: the site row is read again in the insert's transaction and locked against removal
 * (FOR SHARE on PostgreSQL, where removeSite takes FOR UPDATE; SQLite runs one write at a time).
 * Built-in Sandbox Bank sites are not stored and cannot be removed.
 */
async function requireSiteStill(ctx: ServerContext, trx: Transaction<Schema>, site: Site): Promise<void> {
  if (site.sandbox) return;
  const row = await trx
    .selectFrom("link_sites")
    .select("tenant_id")
    .where("id", "=", site.id)
    .$if(ctx.database.dialect === "postgres", (query) => query.forShare())
    .executeTakeFirst();
  if (row === undefined || row.tenant_id !== site.tenantId)
    throw new TesseraError(TesseraApiCode.NotFound, { message: `no site ${site.id}`, field: "body.site" });
}

export async function findCredential(
  db: Kysely<Schema>,
  tenantId: string,
  id: string,
): Promise<CredentialRow | undefined> {
  return db
    .selectFrom("link_credentials")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** Deletes the credential with its jobs, accounts and transactions (foreign keys cascade). */
export async function deleteCredential(
  db: Kysely<Schema>,
  credential: CredentialRow,
  now: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("link_credentials").where("id", "=", credential.id).execute();
    await enqueueEvent(
      trx,
      credential.tenant_id,
      "credential.deleted",
      { credentialId: credential.id, siteId: credential.site_id },
      now,
    );
  });
}
