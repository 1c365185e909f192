import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { okResponse } from "../../app/route-schemas.ts";
import { sites } from "./site-catalogue.ts";

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

export const siteRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    "/sites",
    { schema: { response: { 200: okResponse({ sites: { type: "array", items: siteSchema } }) } } },
    async (request) => {
      const available = request.server.ctx.link.sandboxUrl === undefined ? [] : sites;
      return success({ sites: available });
    },
  );
};
