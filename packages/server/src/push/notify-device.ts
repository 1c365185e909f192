import type { ServerContext } from "../app/server-context.ts";
import type { ApprovalRequestRow } from "../approvals/approval-store.ts";
import type { AuthenticatorRow } from "../authenticators/authenticator-store.ts";
import { wakeDevice } from "./device-hub.ts";
import { openDeviceMaterial, sealDeviceMaterial } from "./device-material.ts";
import { sendWebPush, type WebPushOutcome } from "./web-push-delivery.ts";

/**
 * Tells a push device that `request` waits for it; the sign-in and approval parts call it after
 * inserting the request. Never throws: delivery is best effort, since the app can always poll or
 * stream (GET /app/v1/requests, /app/v1/events). Long polls and streams in this process wake at
 * once, those of other processes at their next look at the table (push/device-hub.ts); a device
 * with a Web Push subscription also gets a message through its push service. A subscription the
 * push service says is gone (404, 410: RFC 8030 §7.3) is forgotten, so it is not posted to again.
 * Resolves with the Web Push outcome (undefined without a subscription), for tests and metrics.
 */
export async function notifyDevice(
  ctx: ServerContext,
  device: AuthenticatorRow,
  request: ApprovalRequestRow,
): Promise<WebPushOutcome | undefined> {
  wakeDevice(ctx, device.id);
  try {
    const material = openDeviceMaterial(ctx, device);
    if (material.webPush === undefined) return undefined;
    const outcome = await sendWebPush(ctx, material.webPush, request);
    if (outcome === "gone") {
      const { webPush: _gone, ...rest } = material;
      await ctx.database.db
        .updateTable("authenticators")
        .set({ secret_enc: sealDeviceMaterial(ctx, device.id, rest) })
        .where("id", "=", device.id)
        .where("secret_enc", "=", device.secret_enc)
        .execute();
    }
    return outcome;
  } catch {
    return "failed";
  }
}
