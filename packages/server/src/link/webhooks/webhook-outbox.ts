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

interface OutboxEvent {
  readonly type: WebhookEventType;
  readonly data: Record<string, unknown>;
}

/** Writes one delivery per subscribed endpoint and event; the endpoints are read once. */
async function enqueueEvents(
  db: Db,
  tenantId: string,
  events: readonly OutboxEvent[],
  now: number,
): Promise<void> {
  if (events.length === 0) return;
  const hooks = await db
    .selectFrom("link_webhooks")
    .select(["id", "events"])
    .where("tenant_id", "=", tenantId)
    .execute();
  const rows = hooks.flatMap((hook) => {
    const wanted = JSON.parse(hook.events) as string[];
    return events
      .filter((event) => wanted.includes("*") || wanted.includes(event.type))
      .map((event) => ({ hook, event }));
  });
  if (rows.length === 0) return;
  const payloads = new Map(
    events.map((event) => [
      event,
      JSON.stringify({
        id: randomUUID(),
        type: event.type,
        createdAt: new Date(now).toISOString(),
        data: event.data,
      }),
    ]),
  );
  await db
    .insertInto("link_webhook_deliveries")
    .values(
      rows.map(({ hook, event }) => ({
        id: randomUUID(),
        tenant_id: tenantId,
        webhook_id: hook.id,
        event_type: event.type,
        payload: payloads.get(event) as string,
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

export async function enqueueEvent(
  db: Db,
  tenantId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
  now: number,
): Promise<void> {
  await enqueueEvents(db, tenantId, [{ type, data }], now);
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
  const events = entries
    .filter((entry) => entry.code >= 200)
    .map((entry) => ({
      type: "job.status" as const,
      data: {
        jobId,
        credentialId,
        code: entry.code,
        name: describe(entry.code, "credential")?.name ?? String(entry.code),
        at: new Date(now).toISOString(),
        ...(entry.detail === undefined ? {} : { detail: entry.detail }),
      },
    }));
  await enqueueEvents(db, tenantId, events, now);
}
