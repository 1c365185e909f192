import type { FastifyPluginAsync } from "fastify";
import { success } from "../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../app/paging.ts";
import { MAX_INT32, okResponse, time, timeInput } from "../app/route-schemas.ts";

const eventSchema = {
  type: "object",
  properties: {
    seq: { type: "integer" },
    at: time,
    actor: { type: "string" },
    subject: { type: ["string", "null"] },
    sourceIp: { type: ["string", "null"] },
    operation: { type: "string" },
    resultCode: { type: "integer" },
    durationMs: { type: ["integer", "null"] },
    requestId: { type: ["string", "null"] },
  },
} as const;

type AuditQuery = {
  from?: number;
  to?: number;
  operation?: string;
  subject?: string;
  actor?: string;
  resultCode?: number;
  limit?: number;
  cursor?: string;
};

/** Events are keyed by their sequence number alone: it is unique and gives the trail's order. */
const auditCursor = listCursor("audit", ["number"]);

/** The calling tenant's own audit events, newest first, with filters, paged by the opaque cursor convention. */
export const auditRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: AuditQuery }>(
    "/audit",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            from: { ...timeInput, description: `inclusive; ${timeInput.description}` },
            to: { ...timeInput, description: `exclusive; ${timeInput.description}` },
            operation: { type: "string", maxLength: 200 },
            subject: { type: "string", maxLength: 400 },
            actor: { type: "string", maxLength: 200 },
            resultCode: { type: "integer", minimum: -MAX_INT32 - 1, maximum: MAX_INT32 },
            ...pageQueryProperties(100, 500),
          },
          additionalProperties: false,
        },
        response: {
          200: okResponse({
            events: { type: "array", items: eventSchema },
            ...nextCursorProperty,
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 100;
      let query = request.server.ctx.database.db
        .selectFrom("audit_events")
        .selectAll()
        .where("tenant_id", "=", request.tenant.id);
      if (q.from !== undefined) query = query.where("at", ">=", q.from);
      if (q.to !== undefined) query = query.where("at", "<", q.to);
      if (q.operation !== undefined) query = query.where("operation", "=", q.operation);
      if (q.subject !== undefined) query = query.where("subject", "=", q.subject);
      if (q.actor !== undefined) query = query.where("actor", "=", q.actor);
      if (q.resultCode !== undefined) query = query.where("result_code", "=", q.resultCode);
      const after = auditCursor.decode(q.cursor)?.[0];
      if (after !== undefined) query = query.where("seq", "<", after as number);
      const rows = await query
        .orderBy("seq", "desc")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = auditCursor.page(rows, limit, (r) => [r.seq]);
      return success({
        events: page.map((r) => ({
          seq: r.seq,
          at: r.at,
          actor: r.actor,
          subject: r.subject,
          sourceIp: r.source_ip,
          operation: r.operation,
          resultCode: r.result_code,
          durationMs: r.duration_ms,
          requestId: r.request_id,
        })),
        nextCursor,
      });
    },
  );
};
