import { type ApiCode, ApiReturnCode } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { MailSendError } from "../mail/mailer.ts";
import { revokeUserSessions } from "../sessions/session-store.ts";
import { revokeAccountSso } from "../sso/provider/account-revocation.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import type { UserRow } from "../users/user-store.ts";
import { verifyPassword } from "./verify-password.ts";

/**
 * Stores a new password, clears any lockout, ends the user's sessions (the API's and single
 * sign-on's: provider sessions, grants, refresh tokens), and tells the user by
 * e-mail. The change stands even when the e-mail cannot be sent; the code says which happened.
 */
export async function setPassword(
  ctx: ServerContext,
  user: UserRow,
  newPassword: string,
  /** The SSO sign-in (uid hash) that sets it, which is not ended with the others. */
  bySignIn?: string,
): Promise<ApiCode> {
  const now = ctx.clock.now();
  const passwordHash = await ctx.passwords.hash(newPassword);
  await ctx.database.db
    .updateTable("users")
    .set({
      password_hash: passwordHash,
      password_changed_at: now,
      failed_attempts: 0,
      lock_count: 0,
      locked_until: null,
      consecutive_failures: 0,
      updated_at: now,
    })
    .where("id", "=", user.id)
    .execute();
  await revokeUserSessions(ctx.database.db, user.id, now);
  await revokeAccountSso(ctx, user.tenant_id, user.id, bySignIn);
  if (user.email === null) return ApiReturnCode.PartnerUserChangedPassword;
  try {
    await ctx.mailer.send({
      to: user.email,
      subject: "Your password was changed",
      text: `The password of your account ${user.username} was changed. If this was not you, contact your administrator now.\n`,
    });
    return ApiReturnCode.PartnerUserChangedPassword;
  } catch (error) {
    if (!(error instanceof MailSendError)) throw error;
    return ApiReturnCode.PartnerUserPasswordChangedEmailFailed;
  }
}

/**
 * A user's own change: the current password proves who asks (an expired one still does, so that
 * it can be replaced), and a wrong one counts towards the account's lockout like any sign-in.
 */
export async function changeOwnPassword(
  ctx: ServerContext,
  tenant: Tenant,
  username: unknown,
  currentPassword: string,
  newPassword: string,
): Promise<ApiCode> {
  const user = await verifyPassword(ctx, tenant, username, currentPassword, { allowExpiredPassword: true });
  return setPassword(ctx, user, newPassword);
}
