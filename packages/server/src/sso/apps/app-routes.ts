import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { okResponse } from "../../app/route-schemas.ts";
import { type AppChangesInput, appChangesSchema, type NewAppInput, newAppSchema } from "./app-input.ts";
import { appOf, findApp, listAppRows } from "./app-store.ts";
import { appSchema, appView } from "./app-view.ts";
import {
  type AppWithSecret,
  appNotFound,
  createApp,
  deleteApp,
  rotateAppSecret,
  updateApp,
} from "./app-writes.ts";

/**
 * `/v1/apps`: the tenant's OpenID Connect clients (admin scope, build-app.ts). Another tenant's
 * client id is NotFound, exactly like an unknown one. A secret is in the answer of POST (for a
 * confidential app) and of rotate-secret only: lists and reads show `hasSecret`.
 */
const appCursor = listCursor("apps", ["string"]);
const clientIdParam = {
  type: "object",
  properties: { clientId: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" } },
  required: ["clientId"],
  additionalProperties: false,
} as const;
type ClientIdParams = { Params: { clientId: string } };
const appResponse = okResponse({ app: appSchema });
const withSecretResponse = okResponse({ app: appSchema, clientSecret: { type: "string" } });
const withSecret = (publicUrl: string, { app, clientSecret }: AppWithSecret) =>
  success({ app: appView(app, publicUrl), ...(clientSecret === undefined ? {} : { clientSecret }) });

export const appRoutes: FastifyPluginAsync = async (app) => {
  app.addHook("preHandler", async (request) => {
    const { clientId } = (request.params ?? {}) as { clientId?: string };
    if (clientId !== undefined) request.auditSubject = `app:${clientId}`;
  });

  app.post<{ Body: NewAppInput }>(
    "/apps",
    {
      config: { idempotent: true },
      schema: { body: newAppSchema, response: { 201: withSecretResponse } },
    },
    async (request, reply) => {
      const created = await createApp(request.server.ctx, request.tenant.id, request.body);
      request.auditSubject = `app:${created.app.clientId}`;
      reply.code(201);
      return withSecret(request.server.ctx.publicUrl, created);
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/apps",
    {
      schema: {
        querystring: {
          type: "object",
          properties: pageQueryProperties(50, 200),
          additionalProperties: false,
        },
        response: { 200: okResponse({ apps: { type: "array", items: appSchema }, ...nextCursorProperty }) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = appCursor.decode(request.query.cursor)?.[0] as string | undefined;
      const rows = await listAppRows(request.server.ctx, request.tenant.id, after, limit + 1);
      const { page, nextCursor } = appCursor.page(rows, limit, (row) => [row.client_id]);
      return success({
        apps: page.map((row) => appView(appOf(row), request.server.ctx.publicUrl)),
        nextCursor,
      });
    },
  );

  app.get<ClientIdParams>(
    "/apps/:clientId",
    { schema: { params: clientIdParam, response: { 200: appResponse } } },
    async (request) => {
      const found = await findApp(request.server.ctx, request.tenant.id, request.params.clientId);
      if (found === undefined) throw appNotFound(request.params.clientId, "params.clientId");
      return success({ app: appView(found, request.server.ctx.publicUrl) });
    },
  );

  app.patch<ClientIdParams & { Body: AppChangesInput }>(
    "/apps/:clientId",
    { schema: { params: clientIdParam, body: appChangesSchema, response: { 200: appResponse } } },
    async (request) => {
      const { ctx } = request.server;
      const updated = await updateApp(ctx, request.tenant.id, request.params.clientId, request.body);
      return success({ app: appView(updated, ctx.publicUrl) });
    },
  );

  app.delete<ClientIdParams>(
    "/apps/:clientId",
    { schema: { params: clientIdParam, response: { 200: okResponse({}) } } },
    async (request) => {
      await deleteApp(request.server.ctx, request.tenant.id, request.params.clientId);
      return success({});
    },
  );

  app.post<ClientIdParams>(
    "/apps/:clientId/rotate-secret",
    {
      // A retry after a lost answer can replay it instead of making (and losing) another secret.
      config: { idempotent: true },
      schema: { params: clientIdParam, response: { 200: withSecretResponse } },
    },
    async (request) =>
      withSecret(
        request.server.ctx.publicUrl,
        await rotateAppSecret(request.server.ctx, request.tenant.id, request.params.clientId),
      ),
  );
};
