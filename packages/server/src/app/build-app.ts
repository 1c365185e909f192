import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { healthRoutes } from "../health/health-routes.ts";
import { installErrorHandling } from "./error-handler.ts";

export interface AppOptions {
  /** pino options or false; tests pass false to keep output readable. */
  readonly logger?: boolean | { level: string };
}

/** The HTTP application: one Fastify plugin per domain, registered from this one list. */
export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: "info" },
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    // Unknown body fields are rejected, not silently dropped, so a typo never looks like success.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  installErrorHandling(app);
  await app.register(healthRoutes);
  return app;
}
