import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { okResponse } from "../../app/route-schemas.ts";
import { listSites } from "./site-directory.ts";

export const siteSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    organisation: { type: "string" },
    kind: { type: "string" },
    connector: { type: "string" },
    fields: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: { type: "string" },
          type: { type: "string" },
          label: { type: "string" },
          required: { type: "boolean" },
          username: { type: "boolean" },
          token: { type: "boolean" },
          maxLength: { type: "integer" },
        },
      },
    },
  },
} as const;

/** The catalogue is small and fixed, but pages like every list, by id, so a client needs one loop. */
const siteCursor = listCursor("sites", ["string"]);

export const siteRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/sites",
    {
      schema: {
        querystring: {
          type: "object",
          properties: pageQueryProperties(50, 200),
          additionalProperties: false,
        },
        response: { 200: okResponse({ sites: { type: "array", items: siteSchema }, ...nextCursorProperty }) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = siteCursor.decode(request.query.cursor)?.[0] as string | undefined;
      const available = await listSites(request.server.ctx, request.tenant.id);
      const rows = available
        .filter((site) => after === undefined || site.id > after)
        .toSorted((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, limit + 1);
      const { page, nextCursor } = siteCursor.page(rows, limit, (site) => [site.id]);
      return success({ sites: page, nextCursor });
    },
  );
};
