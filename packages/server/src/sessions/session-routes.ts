import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../app/envelope.ts";
import { body, okResponse, time } from "../app/route-schemas.ts";
import { signInRefusal } from "../users/sign-in-refusal.ts";
import { findUser } from "../users/user-store.ts";
import { requireWellFormed, usernameInput } from "../users/username.ts";
import { createSession, findLiveSession, revokeSession } from "./session-store.ts";

const MAX_DURATION_MINUTES = 60 * 24 * 30;
const tokenParam = {
  type: "object",
  properties: { token: { type: "string", maxLength: 200 } },
  required: ["token"],
} as const;
const sessionSchema = {
  type: "object",
  properties: {
    username: { type: "string" },
    type: { type: "string" },
    createdAt: time,
    expiresAt: time,
  },
} as const;

/**
 * Server-side sessions for users the tenant's back end has authenticated. The token appears in
 * the path of check and expire, so the logger redacts that path segment.
 */
export const sessionRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { username: string; durationMinutes: number; type: string } }>(
    "/sessions",
    {
      config: { idempotent: true },
      schema: {
        body: body(
          {
            username: usernameInput,
            durationMinutes: { type: "integer", minimum: 1, maximum: MAX_DURATION_MINUTES },
            type: { type: "string", pattern: "^[a-z][a-z0-9_-]{0,31}$" },
          },
          ["username", "durationMinutes", "type"],
        ),
        response: {
          201: okResponse({
            sessionToken: { type: "string" },
            expiresAt: time,
            type: { type: "string" },
          }),
        },
      },
    },
    async (request, reply) => {
      const { database, clock } = request.server.ctx;
      const now = clock.now();
      const username = requireWellFormed(request.body.username, "body.username");
      request.auditSubject = `user:${username}`;
      const user = await findUser(database.db, request.tenant.id, username);
      if (user === undefined) {
        throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
          message: `no user ${username}`,
          field: "body.username",
        });
      }
      const refusal = signInRefusal(user, now);
      if (refusal !== undefined) {
        throw new TesseraError(ApiReturnCode.SessionTokenCreationFailed, {
          message: `${refusal.message}; no session can be created`,
        });
      }
      const expiresAt = now + request.body.durationMinutes * 60_000;
      const sessionToken = await createSession(database.db, {
        tenantId: request.tenant.id,
        userId: user.id,
        type: request.body.type,
        createdAt: now,
        expiresAt,
      });
      return reply.code(201).send(success({ sessionToken, expiresAt, type: request.body.type }));
    },
  );

  app.get<{ Params: { token: string } }>(
    "/sessions/:token",
    { schema: { params: tokenParam, response: { 200: okResponse({ session: sessionSchema }) } } },
    async (request) => {
      const { database, clock } = request.server.ctx;
      const session = await findLiveSession(
        database.db,
        request.tenant.id,
        request.params.token,
        clock.now(),
      );
      if (session === undefined) throw new TesseraError(ApiReturnCode.SessionTokenInvalid);
      request.auditSubject = `user:${session.username}`;
      return success({ session });
    },
  );

  app.delete<{ Params: { token: string } }>(
    "/sessions/:token",
    { schema: { params: tokenParam, response: { 200: okResponse({}) } } },
    async (request) => {
      const { database, clock } = request.server.ctx;
      if (!(await revokeSession(database.db, request.tenant.id, request.params.token, clock.now()))) {
        throw new TesseraError(ApiReturnCode.SessionTokenDeleteFailed);
      }
      return success({});
    },
  );
};
