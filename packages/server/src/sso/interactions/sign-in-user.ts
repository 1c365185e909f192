import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { UserRow } from "../../users/user-store.ts";

/** The tenant's user a sign-in step is about; gone or another tenant's: the sign-in cannot go on. */
export async function findUserById(ctx: ServerContext, tenantId: string, userId: string): Promise<UserRow> {
  const user = await ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", userId)
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  if (user === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, { message: "the user no longer exists" });
  return user;
}
