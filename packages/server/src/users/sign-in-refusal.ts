import { ApiReturnCode } from "@tessera/codes";
import type { UserRow } from "./user-store.ts";

/**
 * Why this account cannot sign in now (disabled, or past its expiry), or undefined when it can.
 * Every path that authenticates a user or acts for one (password, one-time code, session,
 * recovery) asks this, so the rule lives in one place.
 */
export function signInRefusal(user: UserRow, now: number): { code: number; message: string } | undefined {
  if (user.disabled === 1)
    return { code: ApiReturnCode.PartnerUserLoginDisabled, message: "the account is disabled" };
  if (user.expires_at !== null && user.expires_at <= now)
    return { code: ApiReturnCode.AccountExpired, message: "the account has expired" };
  return undefined;
}
