import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import { findTenant } from "../../tenants/tenant-store.ts";
import { signInRefusal } from "../../users/sign-in-refusal.ts";
import type { UserRow } from "../../users/user-store.ts";
import { ssoTenantOf } from "../provider/provider-routes.ts";

export interface SignedIn {
  readonly user: UserRow;
  /**
   * The session proved a second factor (its amr has `otp`). Without it the page serves the user
   * only where the tenant lets people sign in with the password alone, and offers no app that
   * requires a second factor.
   */
  readonly secondFactor: boolean;
  /** The provider session's uid, which the form token is bound to. */
  readonly sessionUid: string;
  /** The form token of this session's pages (see csrfToken). */
  readonly csrf: string;
}

/**
 * Who is signed in to the tenant's issuer in this browser: the provider's own session (its
 * signed cookie, the sso_models row it names), the one that the sign-in pages established. The
 * request is recorded in the audit trail under the tenant, and the user as its actor. Undefined
 * when nobody is signed in, or the user can no longer sign in (disabled, expired, deleted): such
 * a visitor is sent to sign in again, which refuses them with the precise code in the trail.
 * Also undefined for a session that proved only the password where the tenant now requires a
 * second factor (the setting may have changed since it signed in): sent to sign in again, the
 * visitor meets the login check that asks for the second factor (second-factor-policy.ts).
 */
export async function signedInUser(
  request: FastifyRequest<{ Params: { tenant: string } }>,
  reply: FastifyReply,
): Promise<SignedIn | undefined> {
  const { ctx } = request.server;
  const tenantId = await pageTenant(request);
  const provider = await ctx.sso.providerFor(tenantId);
  const session = await provider.Session.get(provider.createContext(request.raw, reply.raw));
  if (session.accountId === undefined) return undefined;
  const user = await ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", session.accountId)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (user === undefined || signInRefusal(user, ctx.clock.now()) !== undefined) return undefined;
  const secondFactor = (session.amr ?? []).includes("otp");
  if (!secondFactor && (await findTenant(ctx.database.db, tenantId))?.ssoSecondFactor !== "optional")
    return undefined;
  request.actor = `user:${user.id}`;
  request.auditSubject = `user:${user.username}`;
  return { user, secondFactor, sessionUid: session.uid, csrf: csrfToken(ctx, session.uid) };
}

/** The tenant of an account page (NotFound for an unusable one); its audit events go to it. */
export async function pageTenant(request: FastifyRequest<{ Params: { tenant: string } }>): Promise<string> {
  const tenantId = await ssoTenantOf(request);
  const tenant = await findTenant(request.server.ctx.database.db, tenantId);
  if (tenant !== undefined) request.tenant = tenant;
  return tenantId;
}

/**
 * The form token: an HMAC of the provider session's uid under a key derived from the master key.
 * A cross-site page can make the browser post, with its cookies, but cannot read this value, so
 * its post is refused; a token is worthless for any other session.
 */
const mac = (ctx: ServerContext, keyId: string, sessionUid: string): Buffer =>
  createHmac("sha256", ctx.keys.derivedKey(keyId, "sso account pages csrf")).update(sessionUid).digest();

function csrfToken(ctx: ServerContext, sessionUid: string): string {
  return mac(ctx, ctx.keys.activeKeyId, sessionUid).toString("base64url");
}

/**
 * Constant-time; a token made under a master key that is no longer the active one still counts,
 * so a key rotation does not break the forms of open pages.
 */
export function csrfMatches(ctx: ServerContext, sessionUid: string, given: unknown): boolean {
  if (typeof given !== "string" || given.length > 64) return false;
  const token = Buffer.from(given, "base64url");
  return ctx.keys.keyIds.some((keyId) => {
    const expected = mac(ctx, keyId, sessionUid);
    return token.length === expected.length && timingSafeEqual(token, expected);
  });
}
