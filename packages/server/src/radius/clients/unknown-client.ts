import { ApiReturnCode } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";

/**
 * FOUNDATION STUB (owned by the clients part, written by the listener part until that part is
 * merged: take the clients part's version): a packet from an unknown source or with a wrong secret
 * is dropped without an answer (RFC 2865 §3), audited as GetRadiusServerClientList.
 */
export async function refuseUnknownClient(
  ctx: ServerContext,
  address: string,
  reason: string,
): Promise<void> {
  await ctx.audit.append({
    at: ctx.clock.now(),
    tenantId: null,
    actor: "anonymous",
    subject: `radius:${reason}`,
    sourceIp: address,
    operation: "radius.packet.dropped",
    resultCode: ApiReturnCode.GetRadiusServerClientList,
    durationMs: null,
    requestId: null,
  });
}
