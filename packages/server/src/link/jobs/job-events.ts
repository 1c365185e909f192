import type { FastifyReply, FastifyRequest } from "fastify";
import { MAX_INT32 } from "../../app/route-schemas.ts";
import { findJob, type JobRow, timeline } from "./job-store.ts";
import { entryView } from "./job-view.ts";

/**
 * The job timeline as server-sent events: every entry once (`id` is its sequence number, so a
 * client reconnecting with Last-Event-ID misses nothing), then `event: end` after the job ends.
 * Changes made in this process arrive at once; those made by other processes at the next poll.
 */
const POLL_MS = 1000;
/** A comment line at least this often keeps a quiet stream inside http.idleTimeoutMs and proxies' idle limits. */
const HEARTBEAT_MS = 15_000;

export function streamJobEvents(request: FastifyRequest, reply: FastifyReply, job: JobRow): void {
  const { ctx } = request.server;
  // Only an id this stream could have sent resumes it: the sequence is an `integer` column, and a
  // larger number would fail the query (PostgreSQL) or skip everything. Anything else replays all.
  const header = String(request.headers["last-event-id"] ?? "");
  const lastSeen = /^\d{1,10}$/.test(header) ? Number(header) : 0;
  let sent = lastSeen <= MAX_INT32 ? lastSeen : 0;
  let busy = false;
  let again = false;
  let closed = false;
  reply.hijack();
  reply.raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-request-id": request.id,
  });
  reply.raw.write(": tessera job events\n\n");

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    clearInterval(heartbeat);
    ctx.link.updates.off(job.id, push);
    ctx.link.updates.off("close", close);
    reply.raw.end();
  };
  const push = async () => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const entries = await timeline(ctx.database.db, job.id, sent);
      for (const entry of entries) {
        reply.raw.write(
          `id: ${entry.seq}\nevent: status\ndata: ${JSON.stringify(entryView(job.id, entry))}\n\n`,
        );
        sent = entry.seq;
      }
      const current = await findJob(ctx.database.db, job.id);
      if (current === undefined || (current.phase === "done" && current.event_seq <= sent)) {
        reply.raw.write(`event: end\ndata: ${JSON.stringify({ jobId: job.id })}\n\n`);
        close();
      }
    } catch {
      close();
    } finally {
      busy = false;
      if (again) {
        again = false;
        void push();
      }
    }
  };
  const timer = setInterval(push, POLL_MS);
  const heartbeat = setInterval(
    () => reply.raw.write(": heartbeat\n\n"),
    Math.min(HEARTBEAT_MS, ctx.config.http.idleTimeoutMs / 2),
  );
  ctx.link.updates.on(job.id, push);
  ctx.link.updates.on("close", close);
  reply.raw.on("close", close);
  void push();
}
