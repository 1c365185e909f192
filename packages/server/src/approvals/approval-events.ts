import type { FastifyReply, FastifyRequest } from "fastify";
import { approvalUpdates, CLOSE_EVENT } from "./approval-updates.ts";
import { approvalView, findTransaction, statusOf, type TransactionRecord } from "./approval-view.ts";

/**
 * A transaction request's state as server-sent events: `event: status` with the request (as GET
 * /v1/approvals/{reference} answers it) when the stream opens and whenever the state changes, then
 * the stream ends once the state is final (approved, rejected or expired). An answer recorded in
 * this process arrives at once, one recorded by another process at the next poll; expiry is seen
 * at the poll too. A stream lasts at most the request's lifetime (approvals.lifetimeSeconds) and a
 * poll, so it cannot be held open for ever.
 */
const POLL_MS = 1000;
/** A comment line at least this often keeps a quiet stream inside http.idleTimeoutMs and proxies' idle limits. */
const HEARTBEAT_MS = 15_000;

export function streamApprovalEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  first: TransactionRecord,
): void {
  const { ctx } = request.server;
  const updates = approvalUpdates(ctx);
  const { id, tenant_id: tenantId, reference } = first.row;
  let sent = "";
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
  reply.raw.write(": tessera approval events\n\n");

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    clearInterval(heartbeat);
    updates.off(id, look);
    updates.off(CLOSE_EVENT, close);
    reply.raw.end();
  };
  const look = async () => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const now = ctx.clock.now();
      const current = await findTransaction(ctx.database.db, tenantId, reference);
      // Deleted with its user or device: nothing more will happen to it.
      if (current === undefined) return close();
      const view = approvalView(current, now);
      const data = JSON.stringify({
        ...view,
        createdAt: new Date(view.createdAt).toISOString(),
        expiresAt: new Date(view.expiresAt).toISOString(),
        answeredAt: view.answeredAt === null ? null : new Date(view.answeredAt).toISOString(),
      });
      if (data !== sent) {
        reply.raw.write(`event: status\ndata: ${data}\n\n`);
        sent = data;
      }
      if (statusOf(current.row, now) !== "pending") {
        reply.raw.write(`event: end\ndata: ${JSON.stringify({ reference, status: view.status })}\n\n`);
        close();
      }
    } catch {
      close();
    } finally {
      busy = false;
      if (again && !closed) {
        again = false;
        void look();
      }
    }
  };
  const timer = setInterval(look, POLL_MS);
  const heartbeat = setInterval(
    () => reply.raw.write(": heartbeat\n\n"),
    Math.min(HEARTBEAT_MS, ctx.config.http.idleTimeoutMs / 2),
  );
  updates.on(id, look);
  updates.on(CLOSE_EVENT, close);
  reply.raw.on("close", close);
  void look();
}
