import type { ServerContext } from "../../app/server-context.ts";
import { type PatRow, revokePat } from "./pat-store.ts";

/**
 * Every exchange of one personal access token is made under one Grant whose id is derived from
 * the token's row id, so that the access tokens a PAT was exchanged for can be found without a
 * column of their own: revoking the PAT revokes that Grant and, with it, every access token that
 * names it (the adapter deletes a grant's models together). The id is no secret: nothing outside
 * the server takes a grant id, and the rows stay keyed by its hash and sealed like any other.
 */
export const patGrantId = (patId: string): string => `pat-${patId}`;

/** Ends what the PAT `patId` was exchanged for: its Grant and every access token under it. */
export async function revokePatAccess(ctx: ServerContext, tenantId: string, patId: string): Promise<void> {
  const provider = await ctx.sso.providerFor(tenantId);
  const grantId = patGrantId(patId);
  await provider.AccessToken.revokeByGrantId(grantId);
  await provider.Grant.adapter.destroy(grantId);
}

/**
 * Revokes the user's PAT `id` (store: revokePat) and then what it was exchanged for, in that
 * order: an exchange racing the revoke either sees the revocation when it marks the PAT used
 * (and undoes its own token, pat-grant.ts) or saved its token before this deletes it.
 */
export async function revokePatAndAccess(
  ctx: ServerContext,
  tenantId: string,
  userId: string,
  id: string,
): Promise<PatRow | undefined> {
  const row = await revokePat(ctx.database.db, tenantId, userId, id, ctx.clock.now());
  if (row !== undefined) await revokePatAccess(ctx, tenantId, row.id);
  return row;
}
