import type { FastifyPluginAsync } from "fastify";
import { envelopeProperties, success } from "../app/envelope.ts";

/** Liveness: the process answers. Readiness (database reachable) joins it with the storage layer. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    "/health",
    {
      schema: {
        summary: "Liveness probe",
        response: {
          200: {
            type: "object",
            properties: { ...envelopeProperties, status: { type: "string", enum: ["ok"] } },
            required: ["errorCode", "errorName", "errorMessage", "status"],
          },
        },
      },
    },
    async () => success({ status: "ok" as const }),
  );
};
