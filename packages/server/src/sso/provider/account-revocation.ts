import type { ServerContext } from "../../app/server-context.ts";
import { accountKey } from "./oidc-adapter.ts";

/**
 * Ends a user's single sign-on: every provider session, grant, code, access and refresh token
 * of the account (sso_models.account_id, migration 024) goes, in one statement. Called when the
 * password is set (change, reset, recovery, the pages' change step), and when the user is disabled
 * or deleted: whoever held the old password (or a browser or refresh token obtained with it) must
 * not keep signing in through the provider. Sign-ins under way on the pages go too: one already
 * past the old password must not finish after the reset.
 */
export async function revokeAccountSso(
  ctx: ServerContext,
  tenantId: string,
  userId: string,
  /** The sign-in (uid hash) that is itself setting the password (the pages' change step) carries on. */
  exceptSignIn?: string,
): Promise<void> {
  const { db } = ctx.database;
  await db
    .deleteFrom("sso_sign_ins")
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .$if(exceptSignIn !== undefined, (q) => q.where("uid_hash", "!=", exceptSignIn ?? ""))
    .execute();
  await db
    .deleteFrom("sso_models")
    .where("tenant_id", "=", tenantId)
    .where("account_id", "=", accountKey(userId))
    .execute();
}
