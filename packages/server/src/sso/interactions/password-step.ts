import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { verifyPassword } from "../../passwords/verify-password.ts";
import { findUser, type UserRow } from "../../users/user-store.ts";
import { passwordField } from "../../users/user-view.ts";
import { normaliseUsername } from "../../users/username.ts";
import { sendPasswordPage } from "./factors/passkey-sign-in.ts";
import type { SignIn } from "./sign-in-context.ts";
import { afterPassword, move } from "./sign-in-flow.ts";
import { overSignInLimits } from "./sign-in-limits.ts";

/**
 * The password step: the API's own verification (passwords/verify-password.ts: the account
 * lockout reserved before the hash is computed, one Argon2id computation on every path) behind
 * two per-minute limits in the database, per source address and per username (known or not).
 *
 * Every failure, whatever it was (unknown user, wrong password, locked, disabled, rate-limited),
 * is one page with one status and one sentence: the page tells no one whether an account exists
 * or whether a guess was right once the account is locked. The precise code is audited.
 */
export async function postPassword(s: SignIn, body: Record<string, unknown>): Promise<void> {
  const username = typeof body.username === "string" ? normaliseUsername(body.username.slice(0, 254)) : "";
  const password = typeof body.password === "string" ? body.password.slice(0, passwordField.maxLength) : "";
  s.request.auditSubject = `user:${username}`;
  const failed = (code: number) => sendPasswordPage(s, 401, code, s.t("signInFailed"));
  // Over a limit nothing is computed (a flood must not buy Argon2 work): the quicker answer says
  // only "limited", which holds for every username alike, so it tells nothing about accounts.
  if (await overSignInLimits(s, username)) return failed(TesseraApiCode.RateLimited);
  let user: UserRow;
  try {
    user = await verifyPassword(s.ctx, s.tenant, username, password);
  } catch (error) {
    if (!TesseraError.is(error)) throw error;
    if (error.code === ApiReturnCode.PartnerUserLoginFailedPasswordExpired) {
      // Right password, too old: it still proved who this is; the next step replaces it.
      const expired = await findUser(s.ctx.database.db, s.tenant.id, username);
      if (expired !== undefined)
        return move(s, s.row, { step: "change-password", userId: expired.id, amr: ["pwd"] });
    }
    return failed(error.code);
  }
  return afterPassword(s, user);
}
