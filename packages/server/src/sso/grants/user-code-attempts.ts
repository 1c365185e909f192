import type Provider from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { addressGroup } from "../../rate-limits/address-group.ts";
import { consumeRateLimit, type RateLimit } from "../../rate-limits/rate-limit.ts";

/**
 * RFC 8628 §5.1: a user code is short enough to type, so the page it is typed into must not
 * become an oracle for guessing the codes of other people's devices. Every post to the user-code
 * page (`<issuer>/device`) counts against the source address (its /64 for IPv6), in the database
 * so that the limit holds across server processes; past it the page answers 429 with Retry-After
 * until the window ends, right code or not. A person needs two posts (the code, then the
 * confirmation). At 20 a minute, one address would need years to try a noticeable share of
 * oidc-provider's 20^8 (about 2.6·10^10) codes, while a device code lives 10 minutes.
 */
export const USER_CODE_ATTEMPTS: RateLimit = { limit: 20, windowMs: 60_000 };

export function limitUserCodeAttempts(provider: Provider, tenantId: string, ctx: ServerContext): void {
  provider.use(async (koa, next) => {
    if (koa.method === "POST" && koa.path === "/device") {
      const now = ctx.clock.now();
      const key = `sso:user-code:${tenantId}:${addressGroup(koa.ip)}`;
      const retryAt = await consumeRateLimit(ctx.database.db, key, USER_CODE_ATTEMPTS, now);
      if (retryAt !== undefined) {
        koa.status = 429;
        koa.set("retry-after", String(Math.max(1, Math.ceil((retryAt - now) / 1000))));
        koa.type = "text/plain";
        koa.body = "Too many attempts. Try again later.";
        return;
      }
    }
    await next();
  });
}
