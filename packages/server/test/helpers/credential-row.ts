import type { Kysely } from "kysely";
import type { Schema } from "../../src/storage/schema.ts";

/**
 * A link_credentials row written straight into the database, for tests that need a credential in
 * a state the API does not make (an old release's row, one a sweep must keep or delete). Never
 * synced; the Sandbox Bank's site unless `siteId` says otherwise.
 */
export async function insertCredentialRow(
  db: Kysely<Schema>,
  row: {
    readonly id: string;
    readonly tenantId: string;
    readonly userId: string;
    readonly loginHash: string;
    readonly fieldsEnc: string;
    readonly status: number;
    readonly now: number;
    readonly siteId?: string;
  },
): Promise<void> {
  await db
    .insertInto("link_credentials")
    .values({
      id: row.id,
      tenant_id: row.tenantId,
      user_id: row.userId,
      site_id: row.siteId ?? "sandbox-bank",
      login_hash: row.loginHash,
      fields_enc: row.fieldsEnc,
      status: row.status,
      last_job_id: null,
      last_sync_at: null,
      synced_until: null,
      created_at: row.now,
      updated_at: row.now,
    })
    .execute();
}
