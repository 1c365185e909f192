import { randomUUID } from "node:crypto";
import { describe } from "@tessera/codes";
import type { Kysely, Transaction } from "kysely";
import type { Schema } from "../../storage/schema.ts";

/**
 * The outbox: webhook deliveries are written in the same transaction as the change they report,
 * so a committed status is always delivered and a rolled-back one never is.
 */
export const webhookEventTypes = ["job.status", "credential.created", "credential.deleted"] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

type Db = Kysely<Schema> | Transaction<Schema>;

export async function enqueueEvent(
  db: Db,
  tenantId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
  now: number,
): Promise<void> {
  const hooks = await db
    .selectFrom("link_webhooks")
    .select(["id", "events"])
    .where("tenant_id", "=", tenantId)
    .execute();
  const subscribed = hooks.filter((hook) => {
    const events = JSON.parse(hook.events) as string[];
    return events.includes("*") || events.includes(type);
  });
  if (subscribed.length === 0) return;
  const eventId = randomUUID();
  const payload = JSON.stringify({ id: eventId, type, createdAt: new Date(now).toISOString(), data });
  await db
    .insertInto("link_webhook_deliveries")
    .values(
      subscribed.map((hook) => ({
        id: randomUUID(),
        tenant_id: tenantId,
        webhook_id: hook.id,
        event_type: type,
        payload,
        state: "pending",
        attempts: 0,
        next_attempt_at: now,
        lease_expires_at: null,
        last_status: null,
        last_error: null,
        created_at: now,
        delivered_at: null,
      })),
    )
    .execute();
}

/** Job timeline entries from 200 up (outcomes, questions, retries) become job.status events. */
export async function enqueueWebhookEvents(
  db: Db,
  tenantId: string,
  jobId: string,
  credentialId: string,
  entries: readonly { code: number; detail?: Readonly<Record<string, unknown>> }[],
  now: number,
): Promise<void> {
  for (const entry of entries) {
    if (entry.code < 200) continue;
    await enqueueEvent(
      db,
      tenantId,
      "job.status",
      {
        jobId,
        credentialId,
        code: entry.code,
        name: describe(entry.code, "credential")?.name ?? String(entry.code),
        at: new Date(now).toISOString(),
        ...(entry.detail === undefined ? {} : { detail: entry.detail }),
      },
      now,
    );
  }
}
