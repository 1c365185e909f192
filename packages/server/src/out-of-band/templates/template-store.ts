import type { Kysely } from "kysely";
import type { DeliveryMethod } from "../../authenticators/authenticator-type.ts";
import type { MessageTemplatesTable, Schema } from "../../storage/schema.ts";
import type { MessagePurpose } from "../transports/deliver-message.ts";
import { builtInTemplate, type TemplateText } from "./built-in-templates.ts";
import { localeChain } from "./template-locale.ts";

export interface TemplateKey {
  readonly purpose: MessagePurpose;
  readonly method: DeliveryMethod;
  /** Canonical BCP 47 tag. */
  readonly locale: string;
}

export interface ResolvedTemplate extends TemplateText {
  readonly locale: string;
  readonly source: "tenant" | "built-in";
}

type Db = Kysely<Schema>;

export async function findTemplate(db: Db, tenantId: string, key: TemplateKey) {
  return db
    .selectFrom("message_templates")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("purpose", "=", key.purpose)
    .where("method", "=", key.method)
    .where("locale", "=", key.locale)
    .executeTakeFirst();
}

const textOf = (row: MessageTemplatesTable): TemplateText =>
  row.subject === null ? { body: row.body } : { subject: row.subject, body: row.body };

/**
 * The template a message is sent with: for each locale of the fallback chain (de-CH, de, en) the
 * tenant's own, then the built-in one. A language match beats customisation: a German speaker
 * gets the built-in German text rather than the tenant's English one.
 */
export async function resolveTemplate(
  db: Db,
  tenantId: string,
  purpose: MessagePurpose,
  method: DeliveryMethod,
  locale: string,
): Promise<ResolvedTemplate> {
  const chain = localeChain(locale);
  const rows = await db
    .selectFrom("message_templates")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("purpose", "=", purpose)
    .where("method", "=", method)
    .where("locale", "in", chain)
    .execute();
  for (const candidate of chain) {
    const row = rows.find((r) => r.locale === candidate);
    if (row !== undefined) return { ...textOf(row), locale: candidate, source: "tenant" };
    const builtIn = builtInTemplate(purpose, method, candidate);
    if (builtIn !== undefined) return { ...builtIn, locale: candidate, source: "built-in" };
  }
  // The chain always ends in `en`, which is built in for every purpose and method.
  throw new Error(`no built-in ${purpose} template for ${method}`);
}

export async function saveTemplate(
  db: Db,
  tenantId: string,
  key: TemplateKey,
  text: TemplateText,
  now: number,
): Promise<void> {
  const values = { subject: text.subject ?? null, body: text.body, updated_at: now };
  await db
    .insertInto("message_templates")
    .values({ tenant_id: tenantId, ...key, ...values })
    .onConflict((oc) => oc.columns(["tenant_id", "purpose", "method", "locale"]).doUpdateSet(values))
    .execute();
}

/** Whether a row was there to delete. */
export async function deleteTemplate(db: Db, tenantId: string, key: TemplateKey): Promise<boolean> {
  const result = await db
    .deleteFrom("message_templates")
    .where("tenant_id", "=", tenantId)
    .where("purpose", "=", key.purpose)
    .where("method", "=", key.method)
    .where("locale", "=", key.locale)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The tenant's own templates in key order, from after `after` (paging by key set). */
export async function listTemplates(
  db: Db,
  tenantId: string,
  limit: number,
  after: readonly [string, string, string] | undefined,
) {
  let query = db.selectFrom("message_templates").selectAll().where("tenant_id", "=", tenantId);
  if (after !== undefined)
    query = query.where((eb) =>
      eb(eb.refTuple("purpose", "method", "locale"), ">", eb.tuple(after[0], after[1], after[2])),
    );
  return query.orderBy("purpose").orderBy("method").orderBy("locale").limit(limit).execute();
}
