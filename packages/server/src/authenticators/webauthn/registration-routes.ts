import type { FastifyPluginAsync } from "fastify";

/** FOUNDATION STUB (owned by the registration part: POST /webauthn/registration/options|verify, GET/PATCH/DELETE of a user's keys). */
export const webauthnRegistrationRoutes: FastifyPluginAsync = async () => {};
