import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The RADIUS listener's state that must hold across server processes (radius/listener/):
 * - radius_challenges: one row per Access-Challenge sent, keyed by the SHA-256 of its State
 *   attribute (the State itself is a bearer value, like a session token). The next packet of the
 *   conversation may reach another process, so the row says which client, user and second factor
 *   the challenge is for, and `used_at` spends it once by a compare-and-set.
 * - radius_answers: the answer to each Access-Request by (client, source, identifier,
 *   authenticator), claimed before the packet is processed (`response` null while it is): a
 *   retransmission, to this process or another, gets the same bytes and never spends a second code.
 */
export const radiusChallenges: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("radius_challenges")
      .addColumn("state_hash", "text", (c) => c.primaryKey())
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("client_id", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("challenge_code_id", "text")
      .addColumn("approval_id", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .execute();
    await db.schema
      .createIndex("radius_challenges_by_expiry")
      .on("radius_challenges")
      .column("expires_at")
      .execute();
    await db.schema
      .createTable("radius_answers")
      .addColumn("packet_key", "text", (c) => c.primaryKey())
      .addColumn("response", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("radius_answers_by_expiry")
      .on("radius_answers")
      .column("expires_at")
      .execute();
  },
};
