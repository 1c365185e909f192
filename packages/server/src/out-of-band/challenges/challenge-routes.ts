import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { body, okResponse, time } from "../../app/route-schemas.ts";
import { tokenFromPath } from "../../authenticators/authenticator-routes.ts";
import { signInUser } from "../../authenticators/otp-routes.ts";
import { challengeDeviceType } from "../../authenticators/registry.ts";
import { usernameInput } from "../../users/username.ts";
import { resendVerification } from "./bind-device.ts";
import { sendChallenge } from "./challenge-operations.ts";

/** A BCP 47 language tag as templates are chosen by (en, pt-BR, zh-Hant-TW). */
export const localeInput = {
  type: "string",
  maxLength: 35,
  pattern: "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$",
} as const;

export const challengeSchema = {
  type: "object",
  properties: {
    challengeId: { type: "string" },
    serial: { type: "string" },
    method: { type: "string", enum: ["sms", "voice", "email"] },
    maskedDestination: { type: "string" },
    expiresAt: time,
  },
} as const;

/**
 * Sending a code to a user's phone or e-mail device (scope auth, like validating one), and
 * resending a new device's verification code (scope tokens, like creating the device).
 */
export const challengeRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { username: string; serial?: string; method?: string; locale?: string } }>(
    "/auth/challenge",
    {
      schema: {
        body: body(
          {
            username: usernameInput,
            serial: { type: "string", maxLength: 200 },
            // Not an enum: an unknown method is SendOTPInvalidDeliveryMethod, the catalog's answer.
            method: { type: "string", maxLength: 20 },
            locale: localeInput,
          },
          ["username"],
        ),
        response: { 200: okResponse(challengeSchema.properties) },
      },
    },
    async (request, reply) => {
      const user = await signInUser(request, request.body.username);
      const sent = await sendChallenge(request.server.ctx, {
        tenant: request.tenant,
        user,
        serial: request.body.serial,
        method: request.body.method,
        sourceIp: request.ip,
        locale: request.body.locale ?? "en",
        reply,
      });
      return success({ ...sent });
    },
  );

  app.post<{ Params: { serial: string }; Body: { method?: string; locale?: string } }>(
    "/authenticators/:serial/verification",
    {
      config: { scope: "tokens" },
      schema: {
        params: {
          type: "object",
          properties: { serial: { type: "string", maxLength: 200 } },
          required: ["serial"],
        },
        body: body({ method: { type: "string", maxLength: 20 }, locale: localeInput }),
        response: { 200: okResponse({ challenge: challengeSchema }) },
      },
    },
    async (request, reply) => {
      const device = await tokenFromPath(request);
      if (challengeDeviceType(device.type) === undefined)
        throw new TesseraError(ApiReturnCode.DeviceIsNotAChallengeDevice, {
          message: `${device.serial} is a ${device.type} authenticator: it is not verified by a sent code`,
          field: "params.serial",
        });
      const challenge = await resendVerification(request.server.ctx, request.tenant, device, {
        method: request.body?.method,
        sourceIp: request.ip,
        locale: request.body?.locale ?? "en",
        reply,
      });
      return success({ challenge });
    },
  );
};
