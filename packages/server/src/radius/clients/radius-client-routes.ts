import type { FastifyPluginAsync } from "fastify";

/** FOUNDATION STUB (owned by the clients part): /v1/radius/clients. */
export const radiusClientRoutes: FastifyPluginAsync = async () => {};
