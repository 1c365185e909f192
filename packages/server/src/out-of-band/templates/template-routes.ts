import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { body, nullableString, okResponse } from "../../app/route-schemas.ts";
import { deliveryMethods } from "../../authenticators/authenticator-type.ts";
import type { TemplateText } from "./built-in-templates.ts";
import { messagePurposes } from "./built-in-templates.ts";
import { canonicalLocale, MAX_LOCALE_LENGTH } from "./template-locale.ts";
import { checkTemplate } from "./template-rules.ts";
import {
  deleteTemplate,
  listTemplates,
  resolveTemplate,
  saveTemplate,
  type TemplateKey,
} from "./template-store.ts";

const keyParams = {
  type: "object",
  properties: {
    purpose: { type: "string", enum: messagePurposes },
    method: { type: "string", enum: deliveryMethods },
    locale: { type: "string", maxLength: MAX_LOCALE_LENGTH, description: "BCP 47 tag: en, de, de-CH" },
  },
  required: ["purpose", "method", "locale"],
} as const;
type KeyParams = {
  Params: { purpose: TemplateKey["purpose"]; method: TemplateKey["method"]; locale: string };
};

const templateSchema = {
  type: "object",
  properties: {
    purpose: { type: "string" },
    method: { type: "string" },
    locale: { type: "string", description: "the locale whose text this is (after fallback for GET)" },
    subject: nullableString(200),
    body: { type: "string" },
    source: { type: "string", enum: ["tenant", "built-in"] },
  },
} as const;

const templateBody = body(
  {
    // No line breaks: a subject is a mail header.
    subject: { type: "string", minLength: 1, maxLength: 200, pattern: "^[^\\r\\n]*$" },
    body: { type: "string", minLength: 1, maxLength: 4000 },
  },
  ["body"],
);

const templateCursor = listCursor("message-templates", ["string", "string", "string"]);

/** The template key from the path, its locale canonical (de-ch → de-CH); records the audit subject. */
function keyFromPath(request: FastifyRequest<KeyParams>): TemplateKey {
  const { purpose, method } = request.params;
  const locale = canonicalLocale(request.params.locale);
  if (locale === undefined)
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: "locale must be a BCP 47 tag such as en, de or de-CH",
      field: "params.locale",
    });
  request.auditSubject = `message-template:${purpose}/${method}/${locale}`;
  return { purpose, method, locale };
}

const view = (key: TemplateKey, text: TemplateText, source: "tenant" | "built-in") => ({
  ...key,
  subject: text.subject ?? null,
  body: text.body,
  source,
});

/**
 * `/v1/message-templates`: the texts of out-of-band codes per purpose, method and locale (admin
 * scope). GET of one key answers the text that would be sent (the tenant's, else built-in, after
 * locale fallback); PUT stores the tenant's own; DELETE returns to the built-in text.
 */
export const messageTemplateRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/message-templates",
    {
      schema: {
        querystring: {
          type: "object",
          properties: pageQueryProperties(50, 200),
          additionalProperties: false,
        },
        response: {
          200: okResponse({ templates: { type: "array", items: templateSchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = templateCursor.decode(request.query.cursor) as [string, string, string] | undefined;
      const rows = await listTemplates(request.server.ctx.database.db, request.tenant.id, limit + 1, after);
      const { page, nextCursor } = templateCursor.page(rows, limit, (r) => [r.purpose, r.method, r.locale]);
      return success({
        templates: page.map((r) => ({
          purpose: r.purpose,
          method: r.method,
          locale: r.locale,
          subject: r.subject,
          body: r.body,
          source: "tenant",
        })),
        nextCursor,
      });
    },
  );

  const one = "/message-templates/:purpose/:method/:locale";
  const response = { 200: okResponse({ template: templateSchema }) };

  app.get<KeyParams>(one, { schema: { params: keyParams, response } }, async (request) => {
    const key = keyFromPath(request);
    const { db } = request.server.ctx.database;
    const resolved = await resolveTemplate(db, request.tenant.id, key.purpose, key.method, key.locale);
    return success({ template: view({ ...key, locale: resolved.locale }, resolved, resolved.source) });
  });

  app.put<KeyParams & { Body: TemplateText }>(
    one,
    { schema: { params: keyParams, body: templateBody, response } },
    async (request) => {
      const key = keyFromPath(request);
      checkTemplate(key.method, request.body, request.tenant.name);
      const { database, clock } = request.server.ctx;
      await saveTemplate(database.db, request.tenant.id, key, request.body, clock.now());
      return success({ template: view(key, request.body, "tenant") });
    },
  );

  app.delete<KeyParams>(
    one,
    { schema: { params: keyParams, response: { 200: okResponse({}) } } },
    async (request) => {
      const key = keyFromPath(request);
      if (!(await deleteTemplate(request.server.ctx.database.db, request.tenant.id, key)))
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: `no ${key.purpose} ${key.method} template for ${key.locale} of this tenant (built-in texts cannot be deleted)`,
          field: "params.locale",
        });
      return success({});
    },
  );
};
