import { TesseraApiCode } from "@tessera/codes";
import type Provider from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { addressGroup } from "../../rate-limits/address-group.ts";
import { consumeRateLimit, type RateLimit } from "../../rate-limits/rate-limit.ts";
import { answerInProvider } from "../provider/provider-faults.ts";

/**
 * RFC 8628 §5.1: a user code is short enough to type, so the page it is typed into must not
 * become an oracle for guessing the codes of other people's devices. Every post to the user-code
 * page (`<issuer>/device`) counts against the source address (its /64 for IPv6), in the database
 * so that the limit holds across server processes; past it the page answers 429 with Retry-After
 * until the window ends, right code or not. A person needs two posts (the code, then the
 * confirmation). At 20 a minute, one address would need years to try a noticeable share of
 * oidc-provider's 20^8 (about 2.6·10^10) codes, while a device code lives 10 minutes.
 *
 * Only that post looks user codes up (GET only shows the form; `/device/<uid>`, the return from
 * the sign-in, finds its device code through the interaction, not a typed code).
 */
export const USER_CODE_ATTEMPTS: RateLimit = { limit: 20, windowMs: 60_000 };

/**
 * Whether a request reaches the user-code post, as oidc-provider's router decides it (its
 * helpers/router.js): the path compared case-insensitively, ASCII letters only (a regular
 * expression's `i` without `u` folds exactly so: `ı` is not `I`), and one trailing slash
 * tolerated. Comparing the exact string would let `/DEVICE` or `/device/` guess past the limit.
 * This runs before the router (the limit must hold before a code is looked up), so it mirrors
 * the router rather than reading the route it picks.
 */
const userCodePath = /^\/device\/?$/i;
export const isUserCodePost = (method: string, path: string): boolean =>
  method === "POST" && userCodePath.test(path);

export function limitUserCodeAttempts(provider: Provider, tenantId: string, ctx: ServerContext): void {
  provider.use(async (koa, next) => {
    if (isUserCodePost(koa.method, koa.path)) {
      const now = ctx.clock.now();
      const key = `sso:user-code:${tenantId}:${addressGroup(koa.ip)}`;
      const retryAt = await consumeRateLimit(ctx.database.db, key, USER_CODE_ATTEMPTS, now);
      if (retryAt !== undefined) {
        koa.set("retry-after", String(Math.max(1, Math.ceil((retryAt - now) / 1000))));
        answerInProvider(koa, 429, TesseraApiCode.RateLimited, "slow_down");
        return;
      }
      // The form's xsrf value lives in the provider's session: a post without one (no cookie, or
      // a forged one) is a stale or cross-site form. oidc-provider itself would crash on it
      // (it re-renders the form with a session it can no longer save), so it is refused here.
      const session = (await provider.Session.get(koa)) as { new?: boolean };
      if (session.new === true) {
        answerInProvider(koa, 400, TesseraApiCode.MalformedRequest, "invalid_request");
        return;
      }
    }
    await next();
  });
}
