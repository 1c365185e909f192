import { randomBytes, randomUUID } from "node:crypto";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Insertable } from "kysely";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { body, okResponse, time, timestamp } from "../../app/route-schemas.ts";
import { shapeCheck } from "../../app/shape-checks.ts";
import { parseOutboundUrl } from "../../net/outbound-url.ts";
import type { LinkWebhooksTable } from "../../storage/schema.ts";
import { requireRoomInTenant } from "../../tenants/tenant-cap.ts";
import { idParam } from "../credentials/credential-routes.ts";
import { sealJson, webhookSecret } from "../link-secrets.ts";
import { refuseWebhookUrl } from "./webhook-address.ts";
import { webhookEventTypes } from "./webhook-outbox.ts";

/** Webhook endpoints per tenant; the signing secret is shown once, at registration. */
type IdParams = { Params: { id: string } };
type PageQuery = { Querystring: { limit?: number; cursor?: string } };
const pageQuery = { type: "object", properties: pageQueryProperties(50, 200), additionalProperties: false };
/** Webhooks oldest first, deliveries newest first; ties in the time are ordered by id. */
const webhookCursor = listCursor("webhooks", ["number", "string"]);
const deliveryCursor = listCursor("deliveries", ["number", "string"]);

const webhookSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    url: { type: "string" },
    events: { type: "array", items: { type: "string" } },
    createdAt: time,
  },
} as const;

const deliverySchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    eventType: { type: "string" },
    state: { type: "string" },
    attempts: { type: "integer" },
    lastStatus: { type: ["integer", "null"] },
    lastError: { type: ["string", "null"] },
    nextAttemptAt: timestamp,
    createdAt: time,
    deliveredAt: timestamp,
    payload: { type: "object", additionalProperties: true },
  },
} as const;

/**
 * The URL's form (a URL, http or https, no credentials) is its shape, reported with the body's
 * other problems; where its host points is checked after, by the handler.
 */
const urlShape = shapeCheck("webhook-url", (value) => {
  const url = typeof value === "string" ? parseOutboundUrl(value, true) : undefined;
  return typeof url === "string"
    ? [{ code: TesseraApiCode.WebhookAddressNotAllowed, reason: `is refused: ${url}` }]
    : [];
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(row: { id: string; url: string; events: string; created_at: number }) {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    createdAt: new Date(row.created_at).toISOString(),
  };
}

async function webhookFromPath(request: FastifyRequest<IdParams>) {
  request.auditSubject = `webhook:${request.params.id}`;
  const row = await request.server.ctx.database.db
    .selectFrom("link_webhooks")
    .select(["id", "url", "events", "created_at"])
    .where("id", "=", request.params.id)
    .where("tenant_id", "=", request.tenant.id)
    .executeTakeFirst();
  if (row === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no webhook ${request.params.id}`,
      field: "params.id",
    });
  return row;
}

/** The per-tenant cap is checked and the row inserted in one transaction (tenants/tenant-cap.ts). */
async function insertWithinCap(request: FastifyRequest, row: Insertable<LinkWebhooksTable>) {
  const { ctx } = request.server;
  const max = ctx.config.link.maxWebhooksPerTenant;
  await ctx.database.db.transaction().execute(async (trx) => {
    await requireRoomInTenant(
      ctx,
      trx,
      { table: "link_webhooks", tenantId: row.tenant_id, max },
      () =>
        new TesseraError(TesseraApiCode.WebhookLimitReached, {
          message: `the tenant already has ${max} webhooks, the most allowed (link.maxWebhooksPerTenant)`,
        }),
    );
    await trx.insertInto("link_webhooks").values(row).execute();
  });
}

export const webhookRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { url: string; events?: string[] } }>(
    "/webhooks",
    {
      config: { idempotent: true },
      schema: {
        body: body(
          {
            url: {
              type: "string",
              maxLength: 2000,
              ...urlShape,
            },
            events: {
              type: "array",
              minItems: 1,
              maxItems: 10,
              uniqueItems: true,
              items: { type: "string", enum: ["*", ...webhookEventTypes] },
            },
          },
          ["url"],
        ),
        response: { 201: okResponse({ webhook: webhookSchema, secret: { type: "string" } }) },
      },
    },
    async (request, reply) => {
      const { ctx } = request.server;
      const refused = await refuseWebhookUrl(request.body.url, ctx.config.link.webhookAllowPrivateNetworks);
      if (refused !== undefined)
        throw new TesseraError(TesseraApiCode.WebhookAddressNotAllowed, {
          message: `webhook URL refused: ${refused}`,
          field: "body.url",
        });
      const id = randomUUID();
      const secret = `whsec_${randomBytes(24).toString("base64url")}`;
      const row = {
        id,
        tenant_id: request.tenant.id,
        url: request.body.url,
        secret_enc: sealJson(ctx.keys, webhookSecret, id, secret),
        events: JSON.stringify(request.body.events ?? ["*"]),
        created_at: ctx.clock.now(),
      };
      await insertWithinCap(request, row);
      request.auditSubject = `webhook:${id}`;
      reply.code(201);
      return success({ webhook: view(row), secret });
    },
  );

  app.get<PageQuery>(
    "/webhooks",
    {
      schema: {
        querystring: pageQuery,
        response: {
          200: okResponse({ webhooks: { type: "array", items: webhookSchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      let query = request.server.ctx.database.db
        .selectFrom("link_webhooks")
        .select(["id", "url", "events", "created_at"])
        .where("tenant_id", "=", request.tenant.id);
      const after = webhookCursor.decode(request.query.cursor);
      if (after !== undefined)
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple("created_at", "id"), ">", tuple(after[0] as number, after[1] as string)),
        );
      const rows = await query
        .orderBy("created_at")
        .orderBy("id")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = webhookCursor.page(rows, limit, (row) => [row.created_at, row.id]);
      return success({ webhooks: page.map(view), nextCursor });
    },
  );

  app.delete<IdParams>(
    "/webhooks/:id",
    { schema: { params: idParam, response: { 200: okResponse({}) } } },
    async (request) => {
      const row = await webhookFromPath(request);
      await request.server.ctx.database.db.deleteFrom("link_webhooks").where("id", "=", row.id).execute();
      return success({});
    },
  );

  app.get<IdParams & PageQuery>(
    "/webhooks/:id/deliveries",
    {
      schema: {
        params: idParam,
        querystring: pageQuery,
        response: {
          200: okResponse({ deliveries: { type: "array", items: deliverySchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const row = await webhookFromPath(request);
      const limit = request.query.limit ?? 50;
      let query = request.server.ctx.database.db
        .selectFrom("link_webhook_deliveries")
        .selectAll()
        .where("webhook_id", "=", row.id);
      const after = deliveryCursor.decode(request.query.cursor);
      if (after !== undefined)
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple("created_at", "id"), "<", tuple(after[0] as number, after[1] as string)),
        );
      const rows = await query
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = deliveryCursor.page(rows, limit, (d) => [d.created_at, d.id]);
      return success({
        deliveries: page.map((d) => ({
          id: d.id,
          eventType: d.event_type,
          state: d.state,
          attempts: d.attempts,
          lastStatus: d.last_status,
          lastError: d.last_error,
          nextAttemptAt: d.state === "pending" ? iso(d.next_attempt_at) : null,
          createdAt: new Date(d.created_at).toISOString(),
          deliveredAt: iso(d.delivered_at),
          payload: JSON.parse(d.payload) as Record<string, unknown>,
        })),
        nextCursor,
      });
    },
  );
};
