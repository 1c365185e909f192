import type { FastifyReply, FastifyRequest } from "fastify";
import { EventStream } from "../app/event-stream.ts";
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

export function streamApprovalEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  first: TransactionRecord,
): void {
  const { ctx } = request.server;
  const updates = approvalUpdates(ctx);
  const { id, tenant_id: tenantId, reference } = first.row;
  const stream = new EventStream(request, reply, "tessera approval events");
  let sent = "";
  const wake = stream.refreshing(async () => {
    const now = ctx.clock.now();
    const current = await findTransaction(ctx.database.db, tenantId, reference);
    // Deleted with its user or device: nothing more will happen to it.
    if (current === undefined) return stream.close();
    const view = approvalView(current, now);
    const data = JSON.stringify({
      ...view,
      createdAt: new Date(view.createdAt).toISOString(),
      expiresAt: new Date(view.expiresAt).toISOString(),
      answeredAt: view.answeredAt === null ? null : new Date(view.answeredAt).toISOString(),
    });
    if (data !== sent) {
      stream.send("status", JSON.parse(data));
      sent = data;
    }
    if (statusOf(current.row, now) !== "pending") {
      stream.send("end", { reference, status: view.status });
      stream.close();
    }
  }, POLL_MS);
  const close = () => stream.close();
  updates.on(id, wake);
  updates.on(CLOSE_EVENT, close);
  stream.onClose(() => {
    updates.off(id, wake);
    updates.off(CLOSE_EVENT, close);
  });
}
