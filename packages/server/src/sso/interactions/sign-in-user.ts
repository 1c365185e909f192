import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { UserRow } from "../../users/user-store.ts";
import { bypass, type SignIn } from "./sign-in-context.ts";

/** The tenant's user a sign-in step is about; gone or another tenant's: the sign-in cannot go on. */
export async function findUserById(s: SignIn, userId: string | null): Promise<UserRow> {
  if (userId === null) throw bypass("a step that needs the user before the password");
  const user = await s.ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", userId)
    .where("tenant_id", "=", s.tenant.id)
    .executeTakeFirst();
  if (user === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, { message: "the user no longer exists" });
  return user;
}
