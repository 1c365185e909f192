import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { body, okResponse, time } from "../../app/route-schemas.ts";
import { findApp } from "../../sso/apps/app-store.ts";
import { appNotFound } from "../../sso/apps/app-writes.ts";
import { userFromRequest } from "../../users/user-from-request.ts";
import { requireSerial } from "../serial.ts";
import { deleteKey, listCredentials, renameKey } from "./credential-store.ts";
import { finishRegistration, startRegistration } from "./registration-ceremony.ts";
import { webauthnKeySchema } from "./webauthn-key-view.ts";

/**
 * Under /v1 (scope tokens): a tenant's own front end registers a user's security key or passkey
 * (options, then the browser's response verified), and lists, renames and deletes the keys.
 */
const keyName = {
  type: "string",
  minLength: 1,
  maxLength: 100,
  pattern: "^[^\\u0000-\\u001f\\u007f]+$",
} as const;
const serialParams = {
  type: "object",
  properties: { serial: { type: "string", maxLength: 64 } },
  required: ["serial"],
} as const;
const residentKeys = ["required", "preferred", "discouraged"] as const;

export const webauthnRegistrationRoutes: FastifyPluginAsync = async (app) => {
  app.post<{
    Body: { username: string; residentKey?: (typeof residentKeys)[number]; clientId?: string };
  }>(
    "/webauthn/registration/options",
    {
      schema: {
        body: body(
          {
            username: { type: "string", maxLength: 300 },
            residentKey: { type: "string", enum: [...residentKeys] },
            clientId: { type: "string", minLength: 1, maxLength: 100 },
          },
          ["username"],
        ),
        response: {
          200: okResponse({
            ceremonyId: { type: "string" },
            expiresAt: time,
            options: { type: "object", additionalProperties: true },
          }),
        },
      },
    },
    async (request) => {
      const { ctx } = request.server;
      const user = await userFromRequest(request, request.body.username);
      request.auditSubject = `user:${user.username}`;
      const { clientId } = request.body;
      const ssoApp = clientId === undefined ? undefined : await findApp(ctx, request.tenant.id, clientId);
      if (clientId !== undefined && ssoApp === undefined) throw appNotFound(clientId, "body.clientId");
      const started = await startRegistration(ctx, {
        tenant: request.tenant,
        user,
        app: ssoApp,
        residentKey: request.body.residentKey,
      });
      return success({ ...started });
    },
  );

  app.post<{ Body: { ceremonyId: string; response: unknown; name?: string } }>(
    "/webauthn/registration/verify",
    {
      schema: {
        body: body(
          {
            ceremonyId: { type: "string", maxLength: 100 },
            // Shape checked by the ceremony (registration-response.ts), so a malformed response
            // is InvalidRegData like every other broken registration.
            response: { type: "object" },
            name: keyName,
          },
          ["ceremonyId", "response"],
        ),
        response: { 201: okResponse({ key: webauthnKeySchema }) },
      },
    },
    async (request, reply) => {
      const key = await finishRegistration(request.server.ctx, {
        tenant: request.tenant,
        ceremonyId: request.body.ceremonyId,
        response: request.body.response,
        name: request.body.name,
      });
      request.auditSubject = `authenticator:${key.serial}`;
      return reply.code(201).send(success({ key }));
    },
  );

  app.get<{ Params: { username: string } }>(
    "/users/:username/webauthn-keys",
    {
      schema: {
        params: {
          type: "object",
          properties: { username: { type: "string", maxLength: 300 } },
          required: ["username"],
        },
        response: { 200: okResponse({ keys: { type: "array", items: webauthnKeySchema } }) },
      },
    },
    async (request) => {
      const user = await userFromRequest(request, request.params.username, "params.username");
      return success({ keys: await listCredentials(request.server.ctx, user.id) });
    },
  );

  app.patch<{ Params: { serial: string }; Body: { name: string } }>(
    "/webauthn/keys/:serial",
    {
      schema: {
        params: serialParams,
        body: body({ name: keyName }, ["name"]),
        response: { 200: okResponse({ key: webauthnKeySchema }) },
      },
    },
    async (request) => {
      const serial = requireSerial(request.params.serial, "params.serial");
      request.auditSubject = `authenticator:${serial}`;
      return success({
        key: await renameKey(request.server.ctx, request.tenant.id, serial, request.body.name),
      });
    },
  );

  app.delete<{ Params: { serial: string } }>(
    "/webauthn/keys/:serial",
    { schema: { params: serialParams, response: { 200: okResponse({}) } } },
    async (request) => {
      const serial = requireSerial(request.params.serial, "params.serial");
      request.auditSubject = `authenticator:${serial}`;
      await deleteKey(request.server.ctx, request.tenant, serial);
      return success({});
    },
  );
};
