import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { body, okResponse, time } from "../../app/route-schemas.ts";
import { clientBodySchema, clientRangeOf } from "./client-input.ts";
import { addRadiusClient, clientView, deleteRadiusClient, listRadiusClients } from "./client-store.ts";

/** /v1/radius/clients: the devices allowed to send RADIUS requests. Secrets go in, never out. */
export const radiusClientSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    address: { type: "string", description: "the address or CIDR range, normalised" },
    requireMessageAuthenticator: { type: "boolean" },
    createdAt: time,
  },
} as const;

const clientCursor = listCursor("radius-clients", ["number", "string"]);
const idParams = {
  type: "object",
  properties: { id: { type: "string", maxLength: 64, pattern: "^[A-Za-z0-9-]+$" } },
  required: ["id"],
} as const;

type NewClientBody = {
  name: string;
  address: string;
  secret: string;
  requireMessageAuthenticator?: boolean;
};

export const radiusClientRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: NewClientBody }>(
    "/radius/clients",
    {
      config: { idempotent: true },
      schema: {
        body: body(clientBodySchema, ["name", "address", "secret"]),
        response: { 201: okResponse({ client: radiusClientSchema }) },
      },
    },
    async (request, reply) => {
      const range = clientRangeOf(request.body.address);
      const client = await addRadiusClient(request.server.ctx, request.tenant.id, {
        name: request.body.name,
        range,
        secret: request.body.secret,
        // BlastRADIUS: required unless an administrator loosens it for legacy gear.
        requireMessageAuthenticator: request.body.requireMessageAuthenticator ?? true,
      });
      request.auditSubject = `radius-client:${client.id}`;
      return reply.code(201).send(success({ client }));
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/radius/clients",
    {
      schema: {
        querystring: {
          type: "object",
          properties: pageQueryProperties(50, 200),
          additionalProperties: false,
        },
        response: {
          200: okResponse({ clients: { type: "array", items: radiusClientSchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listRadiusClients(
        request.server.ctx.database.db,
        request.tenant.id,
        clientCursor.decode(request.query.cursor),
        limit + 1,
      );
      const { page, nextCursor } = clientCursor.page(rows, limit, (row) => [row.created_at, row.id]);
      return success({ clients: page.map(clientView), nextCursor });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/radius/clients/:id",
    { schema: { params: idParams, response: { 200: okResponse({}) } } },
    async (request) => {
      request.auditSubject = `radius-client:${request.params.id}`;
      // Another tenant's client is answered exactly as an unknown one.
      if (!(await deleteRadiusClient(request.server.ctx.database.db, request.tenant.id, request.params.id)))
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: `no RADIUS client ${request.params.id}`,
          field: "params.id",
        });
      return success({});
    },
  );
};
