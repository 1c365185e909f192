import { type Selectable, sql } from "kysely";
import type { ServerContext } from "../../../app/server-context.ts";
import type { WebauthnMetadataTable } from "../../../storage/schema.ts";
import type { MetadataBlob } from "./metadata-blob.ts";

export type MetadataRow = Selectable<WebauthnMetadataTable>;

/** Refused: the stored metadata comes from a BLOB at least as new as the one offered. */
export class StaleMetadataError extends Error {}

/**
 * Stores a verified BLOB's entries, one row per AAGUID, in one transaction. A BLOB whose number is
 * not higher than the stored one is refused: an old BLOB (which may predate a REVOKED or
 * compromise report) must never replace a newer one. Imports are serialised, so of two imports of
 * one BLOB racing, in one process or two, exactly one stores it and the other is refused as stale.
 * Rows of AAGUIDs the new BLOB no longer lists are removed.
 */
export async function storeMetadata(ctx: ServerContext, blob: MetadataBlob): Promise<{ stored: number }> {
  const now = ctx.clock.now();
  return ctx.database.db.transaction().execute(async (trx) => {
    // Take the write lock before reading the stored number: PostgreSQL by an advisory lock; SQLite
    // by writing first (a deferred transaction that read first could not write after another
    // process's commit), waiting out the busy timeout like every other writer.
    if (ctx.database.dialect === "postgres")
      await sql`select pg_advisory_xact_lock(hashtext('tessera.webauthn_metadata'))`.execute(trx);
    else await trx.deleteFrom("webauthn_metadata").where("aaguid", "=", "").execute();
    const latest = await trx
      .selectFrom("webauthn_metadata")
      .select((eb) => eb.fn.max("blob_number").as("no"))
      .executeTakeFirst();
    const storedNo = latest?.no === null || latest?.no === undefined ? undefined : Number(latest.no);
    if (storedNo !== undefined && blob.no <= storedNo)
      throw new StaleMetadataError(
        `BLOB number ${blob.no} is not newer than the stored BLOB number ${storedNo}`,
      );
    const rows = blob.entries.map((e) => ({
      aaguid: e.aaguid,
      description: e.description,
      statement: JSON.stringify(e.statement),
      status: e.status,
      blob_number: blob.no,
      imported_at: now,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await trx
        .insertInto("webauthn_metadata")
        .values(rows.slice(i, i + 100))
        .onConflict((oc) =>
          oc
            .column("aaguid")
            .doUpdateSet((eb) => ({
              description: eb.ref("excluded.description"),
              statement: eb.ref("excluded.statement"),
              status: eb.ref("excluded.status"),
              blob_number: eb.ref("excluded.blob_number"),
              imported_at: eb.ref("excluded.imported_at"),
            }))
            .where("webauthn_metadata.blob_number", "<", blob.no),
        )
        .execute();
    await trx.deleteFrom("webauthn_metadata").where("blob_number", "<", blob.no).execute();
    return { stored: rows.length };
  });
}

/** The imported metadata of one authenticator model (AAGUID, lower case), if any. */
export async function findMetadata(ctx: ServerContext, aaguid: string): Promise<MetadataRow | undefined> {
  return ctx.database.db
    .selectFrom("webauthn_metadata")
    .selectAll()
    .where("aaguid", "=", aaguid.toLowerCase())
    .executeTakeFirst();
}
