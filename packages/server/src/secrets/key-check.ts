import { type Kysely, sql } from "kysely";
import type { Schema } from "../storage/schema.ts";
import { encryptedColumns, keyedHashColumns } from "./encrypted-columns.ts";
import type { KeyService } from "./key-service.ts";
import { MasterKeyError } from "./master-key-error.ts";

const CANARY = "tessera-key-check";
const canaryAad = (keyId: string) => `key_checks.canary_enc:${keyId}`;

/**
 * Fails closed at start: every key the database has seen must either open its canary or no longer
 * be used by any secret. A wrong key (same id, other bytes) fails the canary; a missing key fails
 * when secrets still need it.
 */
export async function verifyMasterKeys(db: Kysely<Schema>, keys: KeyService): Promise<void> {
  await ensureCanary(db, keys);
  for (const row of await db.selectFrom("key_checks").selectAll().execute()) {
    if (keys.keyIds.includes(row.key_id)) {
      let opened = "";
      try {
        opened = keys.decrypt(row.canary_enc, canaryAad(row.key_id)).toString();
      } catch {
        opened = "";
      }
      if (opened !== CANARY) {
        throw new MasterKeyError(`master key ${row.key_id} is not the key this database was encrypted with`);
      }
    } else if ((await countCiphertexts(db, row.key_id)) > 0) {
      throw new MasterKeyError(`master key ${row.key_id} is missing: secrets in the database still need it`);
    }
  }
}

export async function ensureCanary(db: Kysely<Schema>, keys: KeyService): Promise<void> {
  const keyId = keys.activeKeyId;
  await db
    .insertInto("key_checks")
    .values({ key_id: keyId, canary_enc: keys.encrypt(CANARY, canaryAad(keyId)), created_at: Date.now() })
    .onConflict((oc) => oc.column("key_id").doNothing())
    .execute();
}

/** How many stored secrets (ciphertexts and keyed hashes) were written with `keyId`. */
export async function countCiphertexts(db: Kysely<Schema>, keyId: string): Promise<number> {
  const { secrets, lookupHashes } = await countKeyUse(db, keyId);
  return secrets + lookupHashes;
}

/**
 * What `keyId` protects, apart: encrypted secrets (re-encrypted by rotation) and keyed look-up
 * hashes (credential logins, re-keyed by rotation), so the operator reads two honest numbers.
 */
export async function countKeyUse(
  db: Kysely<Schema>,
  keyId: string,
): Promise<{ secrets: number; lookupHashes: number }> {
  let lookupHashes = 0;
  for (const c of keyedHashColumns) {
    const row = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(c.table)} where ${sql.ref(c.column)} like ${`${c.version}:${keyId}:%`}`.execute(
      db,
    );
    lookupHashes += Number(row.rows[0]?.n ?? 0);
  }
  let secrets = 0;
  for (const c of encryptedColumns) {
    const row = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(c.table)} where ${sql.ref(c.column)} like ${`v1:${keyId}:%`}`.execute(
      db,
    );
    secrets += Number(row.rows[0]?.n ?? 0);
  }
  return { secrets, lookupHashes };
}
