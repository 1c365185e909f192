import { EventEmitter } from "node:events";
import type { ServerContext } from "../app/server-context.ts";

/**
 * This process's listeners for changes of approval requests (the event streams of
 * GET /v1/approvals/{reference}/events), by request id. An answer recorded here wakes them at
 * once; one recorded by another process is seen at their next poll of the table, so no process
 * needs to know the others.
 */
export const CLOSE_EVENT = "close";
const emitters = new WeakMap<ServerContext, EventEmitter>();

export function approvalUpdates(ctx: ServerContext): EventEmitter {
  let found = emitters.get(ctx);
  if (found === undefined) {
    found = new EventEmitter();
    found.setMaxListeners(0);
    emitters.set(ctx, found);
  }
  return found;
}

export const announceAnswer = (ctx: ServerContext, requestId: string): void => {
  approvalUpdates(ctx).emit(requestId);
};

/** Ends every stream of this process (the server is closing). */
export const closeApprovalStreams = (ctx: ServerContext): void => {
  approvalUpdates(ctx).emit(CLOSE_EVENT);
};
