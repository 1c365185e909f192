import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../app/server-context.ts";
import { addressGroup } from "./address-group.ts";
import { consumeRateLimit } from "./rate-limit.ts";

const WINDOW_MS = 60_000;

/**
 * The routes these limits cover, by prefix. Password recovery is here although it is not under
 * /v1/auth/: each request may look a user up and send an e-mail after its answer has left, so
 * without a per-source limit one back end could queue unbounded work and mail.
 */
// WebAuthn sign-in looks users up and stores a ceremony per call, like /v1/auth/*.
const LIMITED_PREFIXES = ["/v1/auth/", "/v1/password-recovery", "/v1/webauthn/authentication/"] as const;

/**
 * onRequest hook after authentication: every /v1/auth/* and /v1/password-recovery* request counts against a per-minute limit
 * for its source address within the tenant and one for the whole tenant. Both counters live in the
 * database, so they hold across server processes. The API is server-to-server: the source is the
 * tenant's back end, which every end user of the tenant shares, so the per-source limit only keeps
 * one back end (or a leaked key used from elsewhere) to its share, and the per-tenant one is what
 * bounds password spraying. An IPv6 source counts as its /64 (addressGroup). The source counter is keyed by tenant too, so one tenant's traffic
 * never uses up another's allowance behind a shared egress address.
 */
export async function limitAuthRequests(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const url = request.routeOptions.url;
  if (url === undefined || !LIMITED_PREFIXES.some((prefix) => url.startsWith(prefix))) return;
  const now = request.server.ctx.clock.now();
  const refused = await consumeAuthLimits(request.server.ctx, request.tenant.id, request.ip);
  if (refused === undefined) return;
  // Another process may have opened the window a few milliseconds "later" by its own clock:
  // the wait is never longer than one window.
  const seconds = Math.min(WINDOW_MS / 1000, Math.max(1, Math.ceil((refused.retryAt - now) / 1000)));
  reply.header("retry-after", String(seconds));
  throw new TesseraError(TesseraApiCode.RateLimited, {
    message: `too many authentication requests from ${refused.who}; try again later`,
  });
}

/**
 * Counts one authentication against the per-source and per-tenant limits; what refused it, or
 * undefined. Shared with the RADIUS listener, whose source is the RADIUS client (a VPN concentrator
 * like a back end speaks for many users), so both doors into one tenant share one allowance.
 */
export async function consumeAuthLimits(
  ctx: ServerContext,
  tenantId: string,
  ip: string,
): Promise<{ retryAt: number; who: string } | undefined> {
  const { database, clock, config } = ctx;
  const now = clock.now();
  const rules = [
    [`auth:source:${tenantId}:${addressGroup(ip)}`, config.rateLimits.authPerSource, "this source address"],
    [`auth:tenant:${tenantId}`, config.rateLimits.authPerTenant, "this tenant"],
  ] as const;
  for (const [key, limit, who] of rules) {
    const retryAt = await consumeRateLimit(database.db, key, { limit, windowMs: WINDOW_MS }, now);
    if (retryAt !== undefined) return { retryAt, who };
  }
  return undefined;
}
