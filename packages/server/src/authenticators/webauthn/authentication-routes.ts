import type { FastifyPluginAsync } from "fastify";

/** FOUNDATION STUB (owned by the authentication part: POST /webauthn/authentication/options|verify). */
export const webauthnAuthenticationRoutes: FastifyPluginAsync = async () => {};
