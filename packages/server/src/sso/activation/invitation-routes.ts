import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { okResponse, time } from "../../app/route-schemas.ts";
import { userFromPath } from "../../users/user-routes.ts";
import { inviteUser } from "./invite-user.ts";

/** Under /v1 (users scope): an administrator invites a user to activate the account. */
export const invitationRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Params: { username: string }; Body: { apps?: string[] } }>(
    "/users/:username/invitation",
    {
      config: { idempotent: true },
      // The body is optional (no apps to assign): no body is an empty one.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        params: {
          type: "object",
          properties: { username: { type: "string", maxLength: 300 } },
          required: ["username"],
        },
        body: {
          type: "object",
          properties: {
            apps: {
              type: "array",
              maxItems: 100,
              items: { type: "string", minLength: 1, maxLength: 200 },
            },
          },
          additionalProperties: false,
        },
        response: {
          201: okResponse({
            invitation: {
              type: "object",
              properties: {
                username: { type: "string" },
                apps: { type: "array", items: { type: "string" } },
                expiresAt: time,
              },
            },
          }),
        },
      },
    },
    async (request, reply) => {
      const user = await userFromPath(request);
      const invitation = await inviteUser(request.server.ctx, request.tenant, user, request.body.apps ?? []);
      return reply.code(201).send(success({ invitation }));
    },
  );
};
