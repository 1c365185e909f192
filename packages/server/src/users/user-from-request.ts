import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { findUser, type UserRow } from "./user-store.ts";
import { requireWellFormed } from "./username.ts";

/** The calling tenant's user named by a request field; InvalidPartnerUserLogin naming the field when absent. */
export async function userFromRequest(
  request: FastifyRequest,
  raw: unknown,
  field = "body.username",
): Promise<UserRow> {
  const username = requireWellFormed(raw, field);
  const user = await findUser(request.server.ctx.database.db, request.tenant.id, username);
  if (user === undefined)
    throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, { message: `no user ${username}`, field });
  return user;
}

/** The username of a user id, for views of things a user owns; null when there is none. */
export async function usernameOf(request: FastifyRequest, userId: string | null): Promise<string | null> {
  if (userId === null) return null;
  const user = await request.server.ctx.database.db
    .selectFrom("users")
    .select("username")
    .where("id", "=", userId)
    .executeTakeFirst();
  return user?.username ?? null;
}
