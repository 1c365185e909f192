import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Indexes for the token lists (authenticators/list-authenticators.ts), which page a tenant's tokens
 * by serial. Without them a page walked the global serial index across every tenant's tokens
 * (on SQLite, holding its single connection meanwhile). (tenant_id, serial) serves the tenant's
 * list and its type/state filters; (tenant_id, user_id, serial) serves one user's tokens and the
 * unassigned ones (user_id IS NULL): with the first index alone, the planner walks the whole
 * tenant in serial order to find one user's two tokens. authenticators_by_user stays: validation
 * looks a user's tokens up by user_id alone.
 */
export const authenticatorsByTenant: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex("authenticators_by_tenant_serial")
      .on("authenticators")
      .columns(["tenant_id", "serial"])
      .execute();
    await db.schema
      .createIndex("authenticators_by_tenant_user_serial")
      .on("authenticators")
      .columns(["tenant_id", "user_id", "serial"])
      .execute();
  },
};
