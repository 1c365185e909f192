import { type ApiCode, ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import { checkRecovery, midPattern, redeemRecovery, ridPattern } from "./recovery-store.ts";
import { setPassword } from "./set-password.ts";

/**
 * Sets a new password through a recovery link, for the API (tenantId set) and the end-user page
 * (tenantId undefined: the ids alone name the request). Checks both ids, the expiry, and redeems
 * by compare-and-set, so of concurrent completions exactly one sets a password.
 */
export async function completeRecovery(
  ctx: ServerContext,
  tenantId: string | undefined,
  ids: { rid: string | undefined; mid: string | undefined; field: string },
  newPassword: string,
): Promise<{ code: ApiCode; username: string; tenantId: string }> {
  const { rid, mid } = ids;
  if (rid === undefined || !ridPattern.test(rid)) {
    throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingRid, {
      field: `${ids.field}.rid`,
    });
  }
  if (mid === undefined || !midPattern.test(mid)) {
    throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingMid, {
      field: `${ids.field}.mid`,
    });
  }
  const now = ctx.clock.now();
  const check = await checkRecovery(ctx.database.db, tenantId, rid, mid, now);
  if (check === "unknown")
    throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound, {
      field: `${ids.field}.rid`,
    });
  if (check === "wrong-mid")
    throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingMid, {
      field: `${ids.field}.mid`,
    });
  if (check === "expired") throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryExpiredToken);
  if (!(await redeemRecovery(ctx.database.db, rid, now))) {
    throw new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound, {
      message: "the link was already used",
    });
  }
  const user = await ctx.database.db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", check.userId)
    .executeTakeFirstOrThrow();
  return {
    code: await setPassword(ctx, user, newPassword),
    username: user.username,
    tenantId: user.tenant_id,
  };
}
