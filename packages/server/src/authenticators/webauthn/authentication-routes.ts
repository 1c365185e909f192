import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { body, okResponse, time } from "../../app/route-schemas.ts";
import { applyPolicies, policyOutcomesSchema } from "../../policies/auth-policy.ts";
import { findApp } from "../../sso/apps/app-store.ts";
import { usernameInput } from "../../users/username.ts";
import { signInUser } from "../otp-routes.ts";
import { finishAuthentication, startAuthentication } from "./authentication-ceremony.ts";

const jsonObject = { type: "object", additionalProperties: true } as const;

/**
 * POST /v1/webauthn/authentication/options and /verify (scope `auth`): a tenant's own front end
 * signs a user in with a security key or passkey. The ceremony lives server-side (ceremony-store.ts);
 * the response is checked by finishAuthentication, which maps every refusal onto a published code.
 */
export const webauthnAuthenticationRoutes: FastifyPluginAsync = async (app) => {
  app.post<{
    Body: {
      username?: string;
      clientId?: string;
      userVerification?: "required" | "preferred" | "discouraged";
    };
  }>(
    "/webauthn/authentication/options",
    {
      schema: {
        body: body({
          username: usernameInput,
          clientId: { type: "string", minLength: 1, maxLength: 200 },
          userVerification: { type: "string", enum: ["required", "preferred", "discouraged"] },
        }),
        response: {
          200: okResponse({ ceremonyId: { type: "string" }, expiresAt: time, options: jsonObject }, [
            "ceremonyId",
            "expiresAt",
            "options",
          ]),
        },
      },
    },
    async (request) => {
      const { ctx } = request.server;
      const { username, clientId, userVerification } = request.body;
      const user = username === undefined ? undefined : await signInUser(request, username);
      const ssoApp = clientId === undefined ? undefined : await findApp(ctx, request.tenant.id, clientId);
      if (clientId !== undefined && ssoApp === undefined)
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: `no app ${clientId}`,
          field: "body.clientId",
        });
      const started = await startAuthentication(ctx, {
        tenant: request.tenant,
        user,
        app: ssoApp,
        userVerification,
      });
      return success({ ...started });
    },
  );

  app.post<{ Body: { ceremonyId: string; response: Record<string, unknown> } }>(
    "/webauthn/authentication/verify",
    {
      schema: {
        body: body({ ceremonyId: { type: "string", maxLength: 64 }, response: jsonObject }, [
          "ceremonyId",
          "response",
        ]),
        response: {
          200: okResponse(
            {
              username: { type: "string" },
              serial: { type: "string" },
              userVerified: { type: "boolean" },
              policy: policyOutcomesSchema,
            },
            ["username", "serial", "userVerified", "policy"],
          ),
        },
      },
    },
    async (request) => {
      const result = await finishAuthentication(request.server.ctx, {
        tenant: request.tenant,
        ceremonyId: request.body.ceremonyId,
        response: request.body.response,
        requestId: request.id,
        sourceIp: request.ip,
      });
      request.auditSubject = `user:${result.user.username}`;
      // As /v1/auth/* with `app`: the named app's access policies decide, after the key proved
      // itself (a policy answer is never a credential oracle; auth-policy.ts).
      const policy = await applyPolicies(request, result.appClientId ?? undefined, result.user.id);
      return success(
        {
          username: result.user.username,
          serial: result.authenticator.serial,
          userVerified: result.userVerified,
          ...policy.payload,
        },
        policy.outcome,
      );
    },
  );
};
