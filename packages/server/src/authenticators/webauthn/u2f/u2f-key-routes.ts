import type { FastifyPluginAsync } from "fastify";
import { success } from "../../../app/envelope.ts";
import { body, okResponse } from "../../../app/route-schemas.ts";
import { userFromRequest } from "../../../users/user-from-request.ts";
import { webauthnKeySchema } from "../webauthn-key-view.ts";
import { importU2fKey } from "./import-u2f-key.ts";
import { checkU2fRegistration } from "./u2f-registration.ts";

interface ImportBody {
  username: string;
  keyHandle: string;
  publicKey: string;
  appId: string;
  version: string;
  counter?: number;
  name?: string;
}

/** The counter is the authenticator's u32 (FIDO U2F Raw Message Formats §5.4). */
const MAX_COUNTER = 2 ** 32 - 1;

/**
 * Lengths only bound the work: what a key handle, point or AppID must be is checked in
 * u2f-registration.ts, which answers with the code the issue names for each (a base64url key
 * handle of 255 bytes is 340 characters, a point 87, an AppID a URL).
 */
const importSchema = body(
  {
    username: { type: "string", maxLength: 300 },
    keyHandle: { type: "string", maxLength: 1024 },
    publicKey: { type: "string", maxLength: 1024 },
    appId: { type: "string", maxLength: 2048 },
    version: { type: "string", maxLength: 64 },
    counter: { type: "integer", minimum: 0, maximum: MAX_COUNTER },
    // As a registered key's name (registration-routes.ts): no control characters.
    name: { type: "string", minLength: 1, maxLength: 100, pattern: "^[^\\u0000-\\u001f\\u007f]+$" },
  },
  ["username", "keyHandle", "publicKey", "appId", "version"],
);

/**
 * Under /v1 (scope tokens): a tenant moving from a U2F server imports its users' registrations,
 * so that their security keys go on working without registering again (they sign in through the
 * WebAuthn `appid` extension).
 */
export const u2fKeyRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: ImportBody }>(
    "/webauthn/u2f-keys",
    { schema: { body: importSchema, response: { 201: okResponse({ key: webauthnKeySchema }, ["key"]) } } },
    async (request, reply) => {
      const input = request.body;
      const user = await userFromRequest(request, input.username);
      request.auditSubject = `user:${user.username}`;
      const registration = checkU2fRegistration(request.tenant, input);
      const key = await importU2fKey(request.server.ctx, request.tenant, user, {
        registration,
        counter: input.counter ?? 0,
        name: input.name ?? "Security key (U2F)",
      });
      return reply.code(201).send(success({ key }));
    },
  );
};
