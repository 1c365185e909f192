import { addressGroup } from "../../rate-limits/address-group.ts";
import { consumeRateLimit } from "../../rate-limits/rate-limit.ts";
import type { SignIn } from "./sign-in-context.ts";

const WINDOW_MS = 60_000;

/**
 * The pages' per-minute limits, counted in the database (rate-limits/rate-limit.ts) so they hold
 * across server processes: one per source address (an IPv6 /64 is one source) and, when a
 * username is given, one per username, known or not, so the limit itself tells nothing about
 * whether an account exists. True when the post is over a limit.
 */
export async function overSignInLimits(s: SignIn, username?: string): Promise<boolean> {
  const { db } = s.ctx.database;
  const now = s.ctx.clock.now();
  const limits = s.ctx.config.rateLimits;
  const rules: [string, number][] = [
    [`sso:source:${s.tenant.id}:${addressGroup(s.request.ip)}`, limits.ssoSignInPerSource],
  ];
  if (username !== undefined)
    rules.push([`sso:account:${s.tenant.id}:${username}`, limits.ssoSignInPerAccount]);
  for (const [key, limit] of rules) {
    if ((await consumeRateLimit(db, key, { limit, windowMs: WINDOW_MS }, now)) !== undefined) return true;
  }
  return false;
}

/**
 * The WebAuthn ceremonies the pages' script asks for (factors/passkey-sign-in.ts): each stores a
 * row, and the first page's are anyone's to ask for, so a source gets as many per minute as it
 * gets password posts, counted apart from them (a page load with passkey autofill asks for one,
 * and must not halve what a network's people have for their passwords). True when over it.
 */
export async function overCeremonyLimit(s: SignIn): Promise<boolean> {
  const key = `sso:webauthn:${s.tenant.id}:${addressGroup(s.request.ip)}`;
  const rule = { limit: s.ctx.config.rateLimits.ssoSignInPerSource, windowMs: WINDOW_MS };
  return (await consumeRateLimit(s.ctx.database.db, key, rule, s.ctx.clock.now())) !== undefined;
}
