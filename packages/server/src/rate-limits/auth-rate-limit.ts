import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import { addressGroup } from "./address-group.ts";
import { consumeRateLimit } from "./rate-limit.ts";

const WINDOW_MS = 60_000;

/**
 * onRequest hook after authentication: every /v1/auth/* request counts against a per-minute limit
 * for its source address within the tenant and one for the whole tenant. Both counters live in the
 * database, so they hold across server processes. The API is server-to-server: the source is the
 * tenant's back end, which every end user of the tenant shares, so the per-source limit only keeps
 * one back end (or a leaked key used from elsewhere) to its share, and the per-tenant one is what
 * bounds password spraying. An IPv6 source counts as its /64 (addressGroup). The source counter is keyed by tenant too, so one tenant's traffic
 * never uses up another's allowance behind a shared egress address.
 */
export async function limitAuthRequests(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.routeOptions.url?.startsWith("/v1/auth/")) return;
  const { database, clock, config } = request.server.ctx;
  const now = clock.now();
  const tenantId = request.tenant.id;
  const rules = [
    [
      `auth:source:${tenantId}:${addressGroup(request.ip)}`,
      config.rateLimits.authPerSource,
      "this source address",
    ],
    [`auth:tenant:${tenantId}`, config.rateLimits.authPerTenant, "this tenant"],
  ] as const;
  for (const [key, limit, who] of rules) {
    const retryAt = await consumeRateLimit(database.db, key, { limit, windowMs: WINDOW_MS }, now);
    if (retryAt !== undefined) {
      // Another process may have opened the window a few milliseconds "later" by its own clock:
      // the wait is never longer than one window.
      const seconds = Math.min(WINDOW_MS / 1000, Math.max(1, Math.ceil((retryAt - now) / 1000)));
      reply.header("retry-after", String(seconds));
      throw new TesseraError(TesseraApiCode.RateLimited, {
        message: `too many authentication requests from ${who}; try again later`,
      });
    }
  }
}
