import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { sendPage } from "../../pages/page-routes.ts";
import { setPassword } from "../../passwords/set-password.ts";
import { passwordField } from "../../users/user-view.ts";
import type { SignIn } from "./sign-in-context.ts";
import { afterPassword, statusOf } from "./sign-in-flow.ts";
import { findUserById } from "./sign-in-user.ts";
import { changePasswordPage } from "./step-pages.ts";

export const showChangePassword = (s: SignIn, problem?: string, code: number = ApiReturnCode.Success) =>
  sendPage(s.reply, statusOf(code), code, s.t("changePasswordTitle"), changePasswordPage(s, problem));

/**
 * An expired password was right: the user picks a new one here (the same rules and side effects
 * as any password change: lockout cleared, sessions ended, e-mail), then the sign-in goes on to
 * the access policy and the second factor exactly as after the password step.
 */
export async function postChangePassword(s: SignIn, body: Record<string, unknown>): Promise<void> {
  const password = typeof body.password === "string" ? body.password : "";
  const confirm = typeof body.confirm === "string" ? body.confirm : "";
  if (password !== confirm)
    return showChangePassword(s, s.t("passwordsDiffer"), TesseraApiCode.MalformedRequest);
  if (password.length < passwordField.minLength || password.length > passwordField.maxLength)
    return showChangePassword(s, s.t("passwordRejected"), TesseraApiCode.MalformedRequest);
  const user = await findUserById(s.ctx, s.tenant.id, s.row.user_id ?? "");
  // The expired password again would only restart its age: a new one is asked for.
  if (user.password_hash !== null && (await s.ctx.passwords.verify(password, user.password_hash)))
    return showChangePassword(s, s.t("passwordRejected"), TesseraApiCode.MalformedRequest);
  s.request.auditSubject = `user:${user.username}`;
  await setPassword(s.ctx, user, password, s.row.uid_hash);
  // Moving on is the step's compare-and-set: of two concurrent posts only one goes further.
  return afterPassword(s, user);
}
