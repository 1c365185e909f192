import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Idempotency claims held by a renewed lease.
 *
 * `claim_id`: a random id per claim; the request that holds it stores its answer or renews its lease
 * only while the row still carries its id. Claim times could collide, random ids cannot.
 * `lease_until`: the owning process moves it forward while its request runs; a claim is taken over
 * only once it lapsed, that is once the owner stopped renewing (it died). Unanswered claims from
 * before keep the lease they had (the default 60 s from their claim time); their empty claim id
 * matches no new claim.
 */
export const idempotencyClaims: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("idempotency_keys")
      .addColumn("claim_id", "text", (c) => c.notNull().defaultTo(""))
      .execute();
    await db.schema
      .alterTable("idempotency_keys")
      .addColumn("lease_until", "bigint", (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`UPDATE idempotency_keys SET lease_until = created_at + 60000`.execute(db);
  },
};
