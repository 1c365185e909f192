import type { FastifyReply, FastifyRequest } from "fastify";
import { EventStream } from "../../app/event-stream.ts";
import { MAX_INT32 } from "../../app/route-schemas.ts";
import { findJob, type JobRow, timeline } from "./job-store.ts";
import { entryView } from "./job-view.ts";

/**
 * The job timeline as server-sent events: every entry once (`id` is its sequence number, so a
 * client reconnecting with Last-Event-ID misses nothing), then `event: end` after the job ends.
 * Changes made in this process arrive at once; those made by other processes at the next poll.
 */
const POLL_MS = 1000;

export function streamJobEvents(request: FastifyRequest, reply: FastifyReply, job: JobRow): void {
  const { ctx } = request.server;
  // Only an id this stream could have sent resumes it: the sequence is an `integer` column, and a
  // larger number would fail the query (PostgreSQL) or skip everything. Anything else replays all.
  const header = String(request.headers["last-event-id"] ?? "");
  const lastSeen = /^\d{1,10}$/.test(header) ? Number(header) : 0;
  let sent = lastSeen <= MAX_INT32 ? lastSeen : 0;
  const stream = new EventStream(request, reply, "tessera job events");
  const wake = stream.refreshing(async () => {
    for (const entry of await timeline(ctx.database.db, job.id, sent)) {
      stream.send("status", entryView(job.id, entry), entry.seq);
      sent = entry.seq;
    }
    const current = await findJob(ctx.database.db, job.id);
    if (current === undefined || (current.phase === "done" && current.event_seq <= sent)) {
      stream.send("end", { jobId: job.id });
      stream.close();
    }
  }, POLL_MS);
  const close = () => stream.close();
  ctx.link.updates.on(job.id, wake);
  ctx.link.updates.on("close", close);
  stream.onClose(() => {
    ctx.link.updates.off(job.id, wake);
    ctx.link.updates.off("close", close);
  });
}
