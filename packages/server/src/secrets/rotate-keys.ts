import { type Kysely, sql } from "kysely";
import type { Schema } from "../storage/schema.ts";
import { columnAad, encryptedColumns } from "./encrypted-columns.ts";
import { ensureCanary } from "./key-check.ts";
import type { KeyService } from "./key-service.ts";

export interface RotationProgress {
  readonly done: number;
  readonly total: number;
}

/**
 * Re-encrypts every stored secret that is not under the active key, in small batches, while the
 * server keeps running: each row is swapped only if it still holds the ciphertext that was read
 * (compare-and-set), so a concurrent write of that secret is never overwritten with stale data.
 */
export async function reencryptAll(
  db: Kysely<Schema>,
  keys: KeyService,
  onProgress: (progress: RotationProgress) => void = () => {},
): Promise<number> {
  await ensureCanary(db, keys);
  const active = `v1:${keys.activeKeyId}:%`;
  let total = 0;
  for (const c of encryptedColumns) {
    const count = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(c.table)} where ${sql.ref(c.column)} not like ${active}`.execute(
      db,
    );
    total += Number(count.rows[0]?.n ?? 0);
  }
  let done = 0;
  onProgress({ done, total });
  for (const c of encryptedColumns) {
    for (;;) {
      const batch = await sql<{
        id: string;
        value: string;
      }>`select ${sql.ref(c.idColumn)} as id, ${sql.ref(c.column)} as value from ${sql.table(c.table)} where ${sql.ref(c.column)} not like ${active} limit 200`.execute(
        db,
      );
      if (batch.rows.length === 0) break;
      for (const row of batch.rows) {
        const aad = columnAad(c, row.id);
        const rewrapped = keys.encrypt(keys.decrypt(row.value, aad), aad);
        await sql`update ${sql.table(c.table)} set ${sql.ref(c.column)} = ${rewrapped} where ${sql.ref(c.idColumn)} = ${row.id} and ${sql.ref(c.column)} = ${row.value}`.execute(
          db,
        );
        done += 1;
        onProgress({ done, total });
      }
    }
  }
  return done;
}
