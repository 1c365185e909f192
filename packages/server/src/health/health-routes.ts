import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { sql } from "kysely";
import { success } from "../app/envelope.ts";
import { okResponse } from "../app/route-schemas.ts";

/**
 * Liveness answers while the process runs. Readiness also needs the database and usable SSO
 * signing keys, and turns false as soon as shutdown begins, so a load balancer stops sending
 * traffic before connections close.
 */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const status = okResponse({ status: { type: "string" } }, ["status"]);
  app.get(
    "/health",
    { schema: { summary: "Liveness probe", tags: ["operations"], response: { 200: status } } },
    async () => success({ status: "ok" }),
  );

  app.get(
    "/ready",
    { schema: { summary: "Readiness probe", tags: ["operations"], response: { 200: status } } },
    async (request) => {
      const { lifecycle, database } = request.server.ctx;
      if (lifecycle.draining)
        throw new TesseraError(TesseraApiCode.ServiceUnavailable, { message: "shutting down" });
      try {
        await sql`select 1`.execute(database.db);
      } catch (error) {
        throw new TesseraError(ApiReturnCode.DatabaseError, {
          message: "the database is not reachable",
          cause: error,
        });
      }
      // Unusable signing keys stop every issuer (SSOCertificateError): not ready, and it says so.
      await request.server.ctx.sso.signingKeys({ fresh: true });
      return success({ status: "ready" });
    },
  );
};
