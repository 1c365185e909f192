import { createHmac, timingSafeEqual } from "node:crypto";
import type { ServerContext } from "../../../app/server-context.ts";
import type { SignIn } from "../sign-in-context.ts";

/**
 * Ties what a factor sent (a challenge id, a push request id and its number) to this sign-in
 * without storing it with the sign-in: the page carries the value with an HMAC of tenant,
 * interaction uid, factor and value, under a key derived from the master keys (as csrf.ts). A
 * challenge or an approved push started in another sign-in, even the same user's, has another
 * uid in its MAC and is refused as a bypass; any process checks it without shared state.
 */
const PURPOSE = "sso sign-in factor binding";

const mac = (ctx: ServerContext, keyId: string, s: SignIn, factor: string, value: string): Buffer =>
  createHmac("sha256", ctx.keys.derivedKey(keyId, PURPOSE))
    .update(`${s.tenant.id}\n${s.uid}\n${factor}\n${value}`)
    .digest();

export function bindToSignIn(s: SignIn, factor: string, value: string): string {
  return mac(s.ctx, s.ctx.keys.activeKeyId, s, factor, value).toString("base64url");
}

/** Constant-time; a binding made under a key that is no longer active still counts. */
export function boundToSignIn(s: SignIn, factor: string, value: unknown, binding: unknown): boolean {
  if (typeof value !== "string" || typeof binding !== "string" || binding.length > 64) return false;
  const given = Buffer.from(binding, "base64url");
  return s.ctx.keys.keyIds.some((keyId) => {
    const expected = mac(s.ctx, keyId, s, factor, value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
