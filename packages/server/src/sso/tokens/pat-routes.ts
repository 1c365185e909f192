import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { body, okResponse } from "../../app/route-schemas.ts";
import { userFromPath } from "../../users/user-routes.ts";
import { createPatFor, type PatRequest } from "./create-pat.ts";
import { revokePatAndAccess } from "./pat-revocation.ts";
import { listPats } from "./pat-store.ts";
import { patSchema, patView } from "./pat-view.ts";

const base = "/users/:username/personal-access-tokens";
const username = { type: "string", maxLength: 300 } as const;
const userParams = { type: "object", properties: { username }, required: ["username"] } as const;
const patParams = {
  type: "object",
  properties: { username, id: { type: "string", maxLength: 64 } },
  required: ["username", "id"],
} as const;
type UserParams = { Params: { username: string } };

/**
 * A user's personal access tokens, managed by the tenant's back end on the user's behalf (scope
 * `users`). Every query names the tenant and the user from the path, so an id of another user's
 * or another tenant's token is NotFound, like one that never existed.
 */
const patCursor = listCursor("personal-access-tokens", ["number", "string"]);

export const patRoutes: FastifyPluginAsync = async (app) => {
  app.post<UserParams & { Body: PatRequest }>(
    base,
    {
      config: { idempotent: true },
      schema: {
        params: userParams,
        body: body(
          {
            clientId: { type: "string", minLength: 1, maxLength: 200 },
            name: { type: "string", minLength: 1, maxLength: 100 },
            // The schema bounds the number (2^53, fractions, negatives: 400 naming the field); the
            // configured maximum (personalAccessTokens.maxDays) is checked by createPatFor.
            expiresInDays: { type: "integer", minimum: 1, maximum: 3650 },
          },
          ["clientId", "name", "expiresInDays"],
        ),
        response: {
          201: okResponse({ token: { type: "string" }, personalAccessToken: patSchema }),
        },
      },
    },
    async (request, reply) => {
      const user = await userFromPath(request);
      const { ctx } = request.server;
      // The tenant's back end acts for the user with its API key, which is trusted with far more
      // (it sets passwords and enrols factors): an app requiring a second factor is no bar here.
      // The create is in the audit trail under that key (docs/sso.md, "Personal access tokens").
      const { token, row } = await createPatFor(ctx, user, request.body, (name) => `body.${name}`, true);
      const personalAccessToken = patView(row, ctx.clock.now());
      return reply.code(201).send(success({ token, personalAccessToken }));
    },
  );

  app.get<UserParams & { Querystring: { limit?: number; cursor?: string } }>(
    base,
    {
      schema: {
        params: userParams,
        querystring: {
          type: "object",
          properties: pageQueryProperties(50, 200),
          additionalProperties: false,
        },
        response: {
          200: okResponse({
            personalAccessTokens: { type: "array", items: patSchema },
            ...nextCursorProperty,
          }),
        },
      },
    },
    async (request) => {
      const user = await userFromPath(request);
      const { ctx } = request.server;
      const limit = request.query.limit ?? 50;
      const after = patCursor.decode(request.query.cursor) as [number, string] | undefined;
      const rows = await listPats(ctx.database.db, user.tenant_id, user.id, limit + 1, after);
      const { page, nextCursor } = patCursor.page(rows, limit, (row) => [row.created_at, row.id]);
      const now = ctx.clock.now();
      return success({ personalAccessTokens: page.map((row) => patView(row, now)), nextCursor });
    },
  );

  app.delete<{ Params: { username: string; id: string } }>(
    `${base}/:id`,
    { schema: { params: patParams, response: { 200: okResponse({ personalAccessToken: patSchema }) } } },
    async (request) => {
      const user = await userFromPath(request);
      const { ctx } = request.server;
      const row = await revokePatAndAccess(ctx, user.tenant_id, user.id, request.params.id);
      if (row === undefined)
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: `the user has no personal access token ${request.params.id}`,
          field: "params.id",
        });
      return success({ personalAccessToken: patView(row, ctx.clock.now()) });
    },
  );
};
