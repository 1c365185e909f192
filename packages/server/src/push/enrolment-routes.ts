import type { FastifyPluginAsync } from "fastify";
import { success } from "../app/envelope.ts";
import { okResponse, time } from "../app/route-schemas.ts";
import { userFromRequest } from "../users/user-from-request.ts";
import { createEnrolment } from "./push-enrolment.ts";

/**
 * Under /v1 (scope tokens): the tenant's back end asks for a one-time link that enrols the user's
 * phone app as a push device, and shows it as a QR code (SVG, so it scales on any screen).
 */
export const pushEnrolmentRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Params: { username: string } }>(
    "/users/:username/push-enrolments",
    {
      schema: {
        params: {
          type: "object",
          properties: { username: { type: "string", maxLength: 300 } },
          required: ["username"],
        },
        response: {
          201: okResponse({
            enrolmentUrl: { type: "string" },
            qrCodeSvg: { type: "string" },
            expiresAt: time,
          }),
        },
      },
    },
    async (request, reply) => {
      const user = await userFromRequest(request, request.params.username, "params.username");
      request.auditSubject = `user:${user.username}`;
      const { enrolmentUrl, expiresAt } = await createEnrolment(request.server.ctx, request.tenant, user);
      const { default: QRCode } = await import("qrcode");
      const qrCodeSvg = await QRCode.toString(enrolmentUrl, { type: "svg", errorCorrectionLevel: "M" });
      return reply.code(201).send(success({ enrolmentUrl, qrCodeSvg, expiresAt }));
    },
  );
};
