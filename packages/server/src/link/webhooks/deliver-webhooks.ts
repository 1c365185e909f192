import type { ServerContext } from "../../app/server-context.ts";
import { AddressRefused } from "../../net/checked-lookup.ts";
import { parseOutboundUrl } from "../../net/outbound-url.ts";
import { openJson, webhookSecret } from "../link-secrets.ts";
import { postWebhook } from "./webhook-request.ts";
import { signature } from "./webhook-signature.ts";

/**
 * Sends due deliveries from the outbox. A delivery is claimed by a short lease (compare-and-set),
 * so several processes share the work without sending one twice at the same time. Failures are
 * retried with exponential backoff: 30 s, 2 min, 8 min, … up to MAX_ATTEMPTS, then marked failed.
 */
export const MAX_ATTEMPTS = 8;
const CLAIM_MS = 60_000;

export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 4 ** (attempts - 1), 6 * 3_600_000);
}

export async function deliverDueWebhooks(ctx: ServerContext, limit = 20): Promise<number> {
  const { db } = ctx.database;
  const now = ctx.clock.now();
  const due = await db
    .selectFrom("link_webhook_deliveries")
    .innerJoin("link_webhooks", "link_webhooks.id", "link_webhook_deliveries.webhook_id")
    .select(["link_webhook_deliveries.id", "attempts", "payload", "url", "secret_enc", "webhook_id"])
    .where("state", "=", "pending")
    .where("next_attempt_at", "<=", now)
    .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)]))
    .orderBy("next_attempt_at")
    .limit(limit)
    .execute();
  let sent = 0;
  await Promise.all(
    due.map(async (delivery) => {
      const claimed = await db
        .updateTable("link_webhook_deliveries")
        .set({ lease_expires_at: now + CLAIM_MS })
        .where("id", "=", delivery.id)
        .where("state", "=", "pending")
        .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)]))
        .executeTakeFirst();
      if (claimed.numUpdatedRows !== 1n) return;
      const outcome = await send(
        ctx,
        delivery.url,
        openJson<string>(ctx.keys, webhookSecret, delivery.webhook_id, delivery.secret_enc),
        delivery,
      );
      const attempts = delivery.attempts + 1;
      const done = outcome.ok || outcome.final || attempts >= MAX_ATTEMPTS;
      await db
        .updateTable("link_webhook_deliveries")
        .set({
          attempts,
          state: outcome.ok ? "delivered" : done ? "failed" : "pending",
          next_attempt_at: done ? now : ctx.clock.now() + backoffMs(attempts),
          lease_expires_at: null,
          last_status: outcome.status,
          last_error: outcome.error,
          delivered_at: outcome.ok ? ctx.clock.now() : null,
        })
        .where("id", "=", delivery.id)
        .execute();
      if (outcome.ok) sent += 1;
    }),
  );
  return sent;
}

interface Outcome {
  readonly ok: boolean;
  /** Not worth retrying (the address is refused). */
  readonly final: boolean;
  readonly status: number | null;
  readonly error: string | null;
}

async function send(
  ctx: ServerContext,
  raw: string,
  secret: string,
  delivery: { id: string; payload: string },
): Promise<Outcome> {
  const { webhookAllowPrivateNetworks: allowPrivate, webhookTimeoutMs: timeoutMs } = ctx.config.link;
  const url = parseOutboundUrl(raw, allowPrivate);
  if (typeof url === "string") return refusal(url);
  const event = JSON.parse(delivery.payload) as { id: string; type: string };
  try {
    const status = await postWebhook(
      url,
      {
        "content-type": "application/json",
        "user-agent": "Tessera-Webhooks/1",
        "tessera-event-id": event.id,
        "tessera-event-type": event.type,
        "tessera-delivery-id": delivery.id,
        "tessera-signature": signature(secret, Math.floor(ctx.clock.now() / 1000), delivery.payload),
      },
      delivery.payload,
      { allowPrivate, timeoutMs },
    );
    const ok = status >= 200 && status < 300;
    return { ok, final: false, status, error: ok ? null : `HTTP ${status}` };
  } catch (error) {
    if (error instanceof AddressRefused) return refusal(error.message);
    const { name, code } = error as { name?: string; code?: string };
    return {
      ok: false,
      final: false,
      status: null,
      error: name === "AbortError" || name === "TimeoutError" ? "timed out" : (code ?? "network error"),
    };
  }
}

const refusal = (reason: string): Outcome => ({
  ok: false,
  final: true,
  status: null,
  error: `address refused: ${reason}`,
});
