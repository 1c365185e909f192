import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Indexes for key-set paging (app/paging.ts): every paged list reads "the next `limit` rows after
 * this sort key" within its tenant or parent, which is an index range scan only when an index
 * holds the filter column followed by the whole sort key, tiebreaker id included. An index whose
 * columns are a prefix of a new one is dropped: the new one serves its lookups too.
 * (Transactions already have (account_id, posted_on, id); audit events (tenant_id, seq).)
 */
const pagedLists: readonly (readonly [string, string, readonly string[], string | undefined])[] = [
  ["api_keys_page", "api_keys", ["tenant_id", "created_at", "id"], "api_keys_by_tenant"],
  ["link_credentials_page", "link_credentials", ["tenant_id", "created_at", "id"], undefined],
  ["link_jobs_page", "link_jobs", ["tenant_id", "created_at", "id"], undefined],
  [
    "link_jobs_page_by_credential",
    "link_jobs",
    ["credential_id", "created_at", "id"],
    "link_jobs_by_credential",
  ],
  ["link_accounts_page", "link_accounts", ["tenant_id", "created_at", "id"], undefined],
  ["link_webhooks_page", "link_webhooks", ["tenant_id", "created_at", "id"], undefined],
  [
    "link_webhook_deliveries_page",
    "link_webhook_deliveries",
    ["webhook_id", "created_at", "id"],
    "link_webhook_deliveries_by_webhook",
  ],
];

export const pagingIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    for (const [name, table, columns, supersedes] of pagedLists) {
      await db.schema
        .createIndex(name)
        .on(table)
        .columns([...columns])
        .execute();
      if (supersedes !== undefined) await db.schema.dropIndex(supersedes).execute();
    }
  },
};
