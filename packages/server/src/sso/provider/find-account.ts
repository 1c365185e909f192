import type { Account, FindAccount } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { checkGrantPolicy } from "../grants/grant-policy.ts";

/**
 * The account behind a `sub`: the tenant's user with that id, while it may still sign in. A
 * disabled, expired or deleted user's refresh tokens and sessions stop working at their next use.
 * For a refresh or device-code grant the access policies are asked too (sso/grants/grant-policy.ts).
 */
export function accountFinder(ctx: ServerContext, tenantId: string): FindAccount {
  return async (koa, sub) => {
    const user = await ctx.database.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", sub)
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    if (user === undefined || user.disabled === 1) return undefined;
    if (user.expires_at !== null && Number(user.expires_at) <= ctx.clock.now()) return undefined;
    await checkGrantPolicy(ctx, tenantId, koa, user.id);
    const account: Account = {
      accountId: user.id,
      claims: async () => {
        const name = [user.first_name, user.last_name].filter((part) => part !== null).join(" ");
        return {
          sub: user.id,
          preferred_username: user.username,
          ...(name === "" ? {} : { name }),
          ...(user.first_name === null ? {} : { given_name: user.first_name }),
          ...(user.last_name === null ? {} : { family_name: user.last_name }),
          ...(user.email === null ? {} : { email: user.email }),
        };
      },
    };
    return account;
  };
}
