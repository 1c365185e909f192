import type { ServerContext } from "../app/server-context.ts";
import type { ApprovalRequestRow } from "../approvals/approval-store.ts";
import { postWebhook } from "../link/webhooks/webhook-request.ts";
import { parseOutboundUrl } from "../net/outbound-url.ts";
import { vapidKeys } from "./vapid-keys.ts";
import type { WebPushSubscription } from "./web-push-subscription.ts";

/** What went wrong delivering, for the caller to act on; never thrown past notifyDevice. */
export type WebPushOutcome = "delivered" | "gone" | "failed";

/**
 * Sends one Web Push message (RFC 8030) for a new request: encrypted for the subscription
 * (RFC 8291, aes128gcm) and signed with the installation's VAPID key (RFC 8292) by the web-push
 * package, then posted by postWebhook, so the endpoint meets the webhook address policy at
 * connect time (checked lookup, no redirects, no pooled socket). The message only says that a
 * request is waiting (reference, kind, expiry): the app fetches the details over its own signed
 * channel, so nothing the user approves travels through a third party's push service. It lives
 * no longer than the request (TTL), since a late wake-up is useless.
 */
export async function sendWebPush(
  ctx: ServerContext,
  subscription: WebPushSubscription,
  request: ApprovalRequestRow,
): Promise<WebPushOutcome> {
  const allowPrivate = ctx.config.push.webPushAllowPrivateNetworks;
  const url = parseOutboundUrl(subscription.endpoint, allowPrivate);
  if (typeof url === "string" || (url.protocol !== "https:" && !allowPrivate)) return "failed";
  const keys = await vapidKeys(ctx);
  const { default: webPush } = await import("web-push");
  const payload = JSON.stringify({
    type: "request",
    reference: request.reference,
    kind: request.kind,
    expiresAt: new Date(request.expires_at).toISOString(),
  });
  const ttlSeconds = Math.max(0, Math.ceil((request.expires_at - ctx.clock.now()) / 1000));
  const details = webPush.generateRequestDetails(subscription, payload, {
    vapidDetails: { subject: vapidSubject(ctx), publicKey: keys.publicKey, privateKey: keys.privateKey },
    contentEncoding: "aes128gcm",
    TTL: ttlSeconds,
    urgency: "high",
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(details.headers)) headers[name.toLowerCase()] = String(value);
  const status = await postWebhook(url, headers, details.body ?? Buffer.alloc(0), {
    allowPrivate,
    timeoutMs: ctx.config.push.webPushTimeoutMs,
  });
  if (status === 404 || status === 410) return "gone";
  return status >= 200 && status < 300 ? "delivered" : "failed";
}

/**
 * The VAPID `sub` claim, a contact for the push service's operator: the public URL when it is
 * https, else the sender address of Tessera's e-mails (push services accept only https: or mailto:).
 */
function vapidSubject(ctx: ServerContext): string {
  if (ctx.publicUrl.startsWith("https://")) return new URL(ctx.publicUrl).origin;
  const from = ctx.config.smtp.from;
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return `mailto:${address.trim()}`;
}
