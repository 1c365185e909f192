import type { FastifyReply, FastifyRequest } from "fastify";
import { EventStream } from "../app/event-stream.ts";
import { pendingForDevice } from "../approvals/approval-store.ts";
import { watchDevice } from "./device-hub.ts";
import { wireItem } from "./request-item.ts";

/**
 * GET /app/v1/events: the device's pending requests as server-sent events, `event: request` with
 * the item as data, each reference once per stream; pending ones are sent at once on connect, so
 * a reconnecting app misses nothing. The stream ends when the client goes, the server closes or
 * the device is taken out of service; `release` then gives the device's waiting slot back.
 */
export function streamDeviceEvents(request: FastifyRequest, reply: FastifyReply, release: () => void): void {
  const ctx = request.server.ctx;
  const device = request.pushDevice;
  const sent = new Set<string>();
  const gone = new AbortController();
  const stream = new EventStream(request, reply, "tessera push device events");
  stream.onClose(() => gone.abort());
  const check = async () => {
    // The device's signature opened the stream once; an administrator who disables, unassigns or
    // deletes the device (a lost phone) must end what it holds too, not only refuse its next request.
    const current = await ctx.database.db
      .selectFrom("authenticators")
      .select(["enabled", "user_id"])
      .where("id", "=", device.id)
      .executeTakeFirst();
    if (current === undefined || current.enabled !== 1 || current.user_id !== device.user_id) return true;
    const pending = await pendingForDevice(ctx.database.db, device.id, ctx.clock.now());
    for (const row of pending) {
      if (sent.has(row.reference)) continue;
      sent.add(row.reference);
      stream.send("request", wireItem(row));
    }
    return false;
  };
  void watchDevice(ctx, device.id, check, { signal: gone.signal }).then(() => {
    release();
    stream.close();
  });
}
