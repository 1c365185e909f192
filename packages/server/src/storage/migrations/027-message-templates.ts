import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * A tenant's own texts for out-of-band codes (out-of-band/templates/): one per purpose, method and
 * locale; without one, the built-in text of the best matching locale is sent.
 */
export const messageTemplates: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("message_templates")
      .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
      .addColumn("purpose", "text", (c) => c.notNull())
      .addColumn("method", "text", (c) => c.notNull())
      .addColumn("locale", "text", (c) => c.notNull())
      .addColumn("subject", "text")
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("message_templates_pk", ["tenant_id", "purpose", "method", "locale"])
      .execute();
  },
};
