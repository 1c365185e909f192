import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The token pool and queued recovery e-mails.
 *
 * `authenticators.seed_revealed`: 1 once anyone but the import could know the seed (a generated or
 * imported secret returned by the API, a provisioning link redeemed). Only tokens with 0 (PSKC
 * hardware tokens) may go back to the pool. Existing rows become 1: which of them came from a PSKC
 * file is not recorded, and handing out a seed someone else holds is worse than an empty pool.
 *
 * `password_recoveries.mail_state`: queued, sent, failed or refused; the recovery e-mail is sent
 * after the answer, so its outcome is read back from here.
 */
export const tokenPool: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("authenticators")
      .addColumn("seed_revealed", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .alterTable("password_recoveries")
      .addColumn("mail_state", "text", (c) => c.notNull().defaultTo("sent"))
      .execute();
  },
};
