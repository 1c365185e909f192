import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";

/**
 * Cross-site request forgery protection for the sign-in forms, two independent checks:
 * - every form carries a token that is an HMAC of the tenant and the interaction uid under a key
 *   derived from the master keys, so a page of another interaction (or another site) cannot
 *   supply one, and no server-side state is needed to check it (any process derives the same key);
 * - a post the browser labels cross-site (Sec-Fetch-Site) or whose Origin is not ours is refused
 *   before anything else is looked at.
 * The interaction cookie itself (oidc-provider's, path-scoped to the interaction, SameSite=Lax) is
 * the third: without it the interaction is not found at all.
 */
const PURPOSE = "sso sign-in forms";

const mac = (ctx: ServerContext, keyId: string, tenantId: string, uid: string): Buffer =>
  createHmac("sha256", ctx.keys.derivedKey(keyId, PURPOSE)).update(`${tenantId}\n${uid}`).digest();

export function csrfToken(ctx: ServerContext, tenantId: string, uid: string): string {
  return mac(ctx, ctx.keys.activeKeyId, tenantId, uid).toString("base64url");
}

/** Constant-time; a token made under a key that is no longer active still counts. */
export function csrfTokenValid(ctx: ServerContext, tenantId: string, uid: string, token: unknown): boolean {
  if (typeof token !== "string" || token.length > 64) return false;
  const given = Buffer.from(token, "base64url");
  return ctx.keys.keyIds.some((keyId) => {
    const expected = mac(ctx, keyId, tenantId, uid);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** True when the browser says the post came from another site, or its Origin is not ours. */
export function crossSite(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  return origin !== new URL(request.server.ctx.publicUrl).origin;
}
