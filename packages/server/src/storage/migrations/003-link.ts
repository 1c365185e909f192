import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Link: credentials, durable sync jobs and their timelines, accounts, transactions, webhooks. */
export const link: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("link_credentials")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("site_id", "text", (c) => c.notNull())
      .addColumn("login_hash", "text", (c) => c.notNull())
      .addColumn("fields_enc", "text", (c) => c.notNull())
      .addColumn("status", "integer", (c) => c.notNull())
      .addColumn("last_job_id", "text")
      .addColumn("last_sync_at", "bigint")
      .addColumn("synced_until", "bigint")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("link_credentials_login_unique", ["tenant_id", "user_id", "site_id", "login_hash"])
      .execute();

    await db.schema
      .createTable("link_jobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("credential_id", "text", (c) =>
        c.notNull().references("link_credentials.id").onDelete("cascade"),
      )
      .addColumn("site_id", "text", (c) => c.notNull())
      .addColumn("phase", "text", (c) => c.notNull())
      .addColumn("step", "text", (c) => c.notNull())
      .addColumn("status", "integer", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("run_after", "bigint", (c) => c.notNull())
      .addColumn("lease_owner", "text")
      .addColumn("lease_expires_at", "bigint")
      .addColumn("active_credential_id", "text")
      .addColumn("session_enc", "text")
      .addColumn("question", "text")
      .addColumn("question_expires_at", "bigint")
      .addColumn("answer_enc", "text")
      .addColumn("event_seq", "integer", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("finished_at", "bigint")
      .execute();
    // At most one unfinished job per credential, across every process: the column holds the
    // credential id while the job is unfinished and NULL afterwards (NULLs never collide).
    await db.schema
      .createIndex("link_jobs_one_active_per_credential")
      .on("link_jobs")
      .column("active_credential_id")
      .unique()
      .execute();
    await db.schema
      .createIndex("link_jobs_runnable")
      .on("link_jobs")
      .columns(["phase", "run_after"])
      .execute();
    await db.schema.createIndex("link_jobs_by_credential").on("link_jobs").column("credential_id").execute();

    await db.schema
      .createTable("link_job_events")
      .addColumn("job_id", "text", (c) => c.notNull().references("link_jobs.id").onDelete("cascade"))
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("code", "integer", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("detail", "text")
      .addPrimaryKeyConstraint("link_job_events_pk", ["job_id", "seq"])
      .execute();

    await db.schema
      .createTable("link_site_slots")
      .addColumn("site_id", "text", (c) => c.notNull())
      .addColumn("slot", "integer", (c) => c.notNull())
      .addColumn("job_id", "text")
      .addColumn("lease_expires_at", "bigint")
      .addPrimaryKeyConstraint("link_site_slots_pk", ["site_id", "slot"])
      .execute();

    await db.schema
      .createTable("link_accounts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("credential_id", "text", (c) =>
        c.notNull().references("link_credentials.id").onDelete("cascade"),
      )
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("external_id", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("currency", "text", (c) => c.notNull())
      .addColumn("balance", "text")
      .addColumn("number_mask", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("link_accounts_external_unique", ["credential_id", "external_id"])
      .execute();
    await db.schema
      .createIndex("link_accounts_by_user")
      .on("link_accounts")
      .columns(["tenant_id", "user_id"])
      .execute();

    await db.schema
      .createTable("link_transactions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("account_id", "text", (c) => c.notNull().references("link_accounts.id").onDelete("cascade"))
      .addColumn("external_id", "text", (c) => c.notNull())
      .addColumn("posted_on", "text", (c) => c.notNull())
      .addColumn("amount", "text", (c) => c.notNull())
      .addColumn("description", "text", (c) => c.notNull())
      .addColumn("memo", "text")
      .addColumn("kind", "text")
      .addColumn("content_hash", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("link_transactions_external_unique", ["account_id", "external_id"])
      .execute();
    await db.schema
      .createIndex("link_transactions_by_date")
      .on("link_transactions")
      .columns(["account_id", "posted_on", "id"])
      .execute();

    await db.schema
      .createTable("link_webhooks")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("url", "text", (c) => c.notNull())
      .addColumn("secret_enc", "text", (c) => c.notNull())
      .addColumn("events", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("link_webhook_deliveries")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull())
      .addColumn("webhook_id", "text", (c) => c.notNull().references("link_webhooks.id").onDelete("cascade"))
      .addColumn("event_type", "text", (c) => c.notNull())
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull())
      .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
      .addColumn("lease_expires_at", "bigint")
      .addColumn("last_status", "integer")
      .addColumn("last_error", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("delivered_at", "bigint")
      .execute();
    await db.schema
      .createIndex("link_webhook_deliveries_due")
      .on("link_webhook_deliveries")
      .columns(["state", "next_attempt_at"])
      .execute();
    await db.schema
      .createIndex("link_webhook_deliveries_by_webhook")
      .on("link_webhook_deliveries")
      .columns(["webhook_id", "created_at"])
      .execute();
  },
};
