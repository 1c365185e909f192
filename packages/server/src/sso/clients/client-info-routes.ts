import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { envelope } from "../../app/envelope.ts";
import { addressGroup } from "../../rate-limits/address-group.ts";
import { consumeRateLimit } from "../../rate-limits/rate-limit.ts";
import { appOf, findAppRow } from "../apps/app-store.ts";
import { ssoTenantOf } from "../provider/provider-routes.ts";
import { notRegistered } from "./unknown-client.ts";

/**
 * `GET <issuer>/clients/<client id>` (discovery: `tessera_client_info_endpoint`): an app's public
 * settings, so that a program can tell at start whether its client id is registered at this
 * issuer and how long it may work offline, before anyone signs in. The id is looked up in the
 * issuer's own tenant only: another tenant's app is not registered here, exactly like an unknown
 * id. Nothing secret is shown (no secret, no redirect URIs); client ids are not secrets either,
 * but each request counts against a per-source limit in the database (rateLimits.
 * ssoClientInfoPerSource, across processes), so the endpoint is no cheap way to sweep for them.
 * More specific than the provider's `/oidc/:tenant/*`, so this route wins over it.
 */
const WINDOW_MS = 60_000;
/**
 * The client id is the rest of the path (`*`), not a `:clientId` parameter: the router matches a
 * parameter only up to 100 characters (Fastify's maxParamLength), and a longer id fell through to
 * the provider's catch-all, a plain 404 that a program cannot tell from a wrong issuer. It is
 * renamed `clientId` as the request arrives, so validation (and the NUL check) names it so.
 */
const params = {
  type: "object",
  properties: {
    tenant: { type: "string", maxLength: 64 },
    clientId: { type: "string", minLength: 1, maxLength: 200 },
  },
  required: ["tenant", "clientId"],
} as const;
type Params = { tenant: string; clientId: string };

export const clientInfoRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: Params }>(
    "/oidc/:tenant/clients/*",
    {
      schema: { params, hide: true },
      onRequest: async (request, reply) => {
        const { tenant, "*": clientId } = request.params as unknown as { tenant: string; "*": string };
        request.params = { tenant, clientId };
        // Every answer, refusals (400, unknown issuer, 429) included: none may be kept by a cache.
        reply.header("cache-control", "no-store");
      },
    },
    async (request, reply) => {
      const tenantId = await ssoTenantOf(request);
      await limitSource(request, tenantId, (seconds) => reply.header("retry-after", String(seconds)));
      const row = await findAppRow(request.server.ctx, tenantId, request.params.clientId);
      if (row === undefined) {
        reply.code(404);
        return { ...envelope(TesseraApiCode.NotFound, notRegistered.error_description), ...notRegistered };
      }
      const found = appOf(row);
      return {
        ...envelope(ApiReturnCode.Success),
        client_id: found.clientId,
        client_name: found.name,
        application_type: found.kind === "native" ? "native" : "web",
        grant_types: [...found.grantTypes],
        offline_grace_hours: found.offlineGraceHours,
      };
    },
  );
};

/** Counts the request against its source's window; RateLimited past it, with the wait. */
async function limitSource(request: FastifyRequest, tenantId: string, retryAfter: (s: number) => void) {
  const { ctx } = request.server;
  const now = ctx.clock.now();
  const key = `sso:client-info:${tenantId}:${addressGroup(request.ip)}`;
  const rule = { limit: ctx.config.rateLimits.ssoClientInfoPerSource, windowMs: WINDOW_MS };
  const retryAt = await consumeRateLimit(ctx.database.db, key, rule, now);
  if (retryAt === undefined) return;
  retryAfter(Math.min(WINDOW_MS / 1000, Math.max(1, Math.ceil((retryAt - now) / 1000))));
  throw new TesseraError(TesseraApiCode.RateLimited, {
    message: "too many client information requests from this source address; try again later",
  });
}
