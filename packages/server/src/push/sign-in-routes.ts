import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../app/envelope.ts";
import { body, okResponse, time, timestamp } from "../app/route-schemas.ts";
import { appField } from "../policies/auth-policy.ts";
import { findApp } from "../sso/apps/app-store.ts";
import { userFromRequest, usernameOf } from "../users/user-from-request.ts";
import { userFromPath } from "../users/user-routes.ts";
import { usernameInput } from "../users/username.ts";
import { clearFraudLock, findFraudLock } from "./sign-in-fraud-lock.ts";
import { createSignInPush, findSignInPush, stateOf } from "./sign-in-push.ts";

/** What a sign-in screen may tell the phone about itself; free text, shown, never interpreted. */
const contextSchema = {
  type: "object",
  properties: {
    app: appField,
    location: { type: "string", minLength: 1, maxLength: 200 },
    reason: { type: "string", minLength: 1, maxLength: 200 },
  },
  additionalProperties: false,
} as const;

const idParams = {
  type: "object",
  properties: {
    id: { type: "string", maxLength: 36, description: "The id POST /v1/auth/push answered (a UUID)." },
  },
  required: ["id"],
} as const;

const usernameParams = {
  type: "object",
  properties: { username: { type: "string", maxLength: 300 } },
  required: ["username"],
} as const;

interface PushBody {
  username: string;
  serial?: string;
  context?: { app?: string; location?: string; reason?: string };
}

/** Sign-in by push approval with number matching (scope auth), and the fraud lock (scope users). */
export const signInPushRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: PushBody }>(
    "/auth/push",
    {
      schema: {
        body: body(
          {
            username: usernameInput,
            serial: { type: "string", minLength: 1, maxLength: 200 },
            context: contextSchema,
          },
          ["username"],
        ),
        response: {
          201: okResponse({
            id: { type: "string" },
            reference: { type: "string" },
            numberToMatch: { type: "integer" },
            expiresAt: time,
            serial: { type: "string" },
          }),
        },
      },
    },
    async (request, reply) => {
      const ctx = request.server.ctx;
      const user = await userFromRequest(request, request.body.username);
      request.auditSubject = `user:${user.username}`;
      const context = request.body.context ?? {};
      // The app is named by its client id and must be the tenant's; the phone shows its name.
      let appName: string | undefined;
      if (context.app !== undefined) {
        const found = await findApp(ctx, request.tenant.id, context.app);
        if (found === undefined)
          throw new TesseraError(TesseraApiCode.NotFound, {
            message: `no app ${context.app}`,
            field: "body.context.app",
          });
        appName = found.name;
      }
      const push = await createSignInPush(ctx, {
        tenant: request.tenant,
        user,
        serial: request.body.serial,
        context: { app: appName, sourceIp: request.ip, location: context.location, reason: context.reason },
        requestId: request.id,
      });
      reply.code(201);
      return success(push);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/auth/push/:id",
    {
      schema: {
        params: idParams,
        response: {
          200: okResponse({
            status: { type: "string", enum: ["pending", "approved", "rejected", "expired"] },
            serial: { type: "string" },
            username: { type: ["string", "null"] },
          }),
        },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      // Tenant-scoped: the tenant's back end created it, whichever of its keys asks. Another
      // tenant's id is not found, exactly like one that never existed.
      const row = await findSignInPush(ctx, request.tenant.id, request.params.id);
      if (row === undefined)
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: `no sign-in push ${request.params.id}`,
          field: "params.id",
        });
      const username = await usernameOf(request, row.user_id);
      request.auditSubject = `approval:${row.reference}`;
      return success({ status: stateOf(row, ctx.clock.now()), serial: row.serial, username });
    },
  );

  const lockView = {
    locked: { type: "boolean" },
    reference: { type: ["string", "null"] },
    reportedAt: timestamp,
  };

  app.get<{ Params: { username: string } }>(
    "/users/:username/push-lock",
    {
      config: { scope: "users" },
      schema: { params: usernameParams, response: { 200: okResponse(lockView) } },
    },
    async (request) => {
      const user = await userFromPath(request);
      const lock = await findFraudLock(request.server.ctx.database.db, user.id);
      return success({
        locked: lock !== undefined,
        reference: lock?.reference ?? null,
        reportedAt: lock?.reportedAt ?? null,
      });
    },
  );

  app.delete<{ Params: { username: string } }>(
    "/users/:username/push-lock",
    {
      config: { scope: "users" },
      schema: { params: usernameParams, response: { 200: okResponse({ cleared: { type: "boolean" } }) } },
    },
    async (request) => {
      const { database, clock } = request.server.ctx;
      const user = await userFromPath(request);
      return success({ cleared: await clearFraudLock(database.db, user, clock.now()) });
    },
  );
};
