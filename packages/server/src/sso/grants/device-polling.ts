import type { ServerContext } from "../../app/server-context.ts";

/**
 * RFC 8628 §3.5: a device polls the token endpoint no faster than `interval` seconds, 5 when the
 * device authorization response names none (oidc-provider's names none). oidc-provider does not
 * enforce it, so Tessera does: a poll is counted only when the previous counted poll is at least
 * the interval ago, by compare-and-set on the device code's row; any other poll is slow_down and
 * reaches neither the grant nor the sign-in state. A burst from one device, on one process or
 * several, gets one answer per interval.
 */
export const DEVICE_POLL_INTERVAL_MS = 5000;

/** Counts a poll of the device code `idHash`; false when it came too soon (slow_down). */
export async function countDevicePoll(
  ctx: ServerContext,
  tenantId: string,
  idHash: string,
): Promise<boolean> {
  const now = ctx.clock.now();
  const result = await ctx.database.db
    .updateTable("sso_models")
    .set({ polled_at: now })
    .where("model", "=", "DeviceCode")
    .where("id_hash", "=", idHash)
    .where("tenant_id", "=", tenantId)
    .where((eb) => eb.or([eb("polled_at", "is", null), eb("polled_at", "<=", now - DEVICE_POLL_INTERVAL_MS)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
