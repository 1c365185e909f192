import { EventEmitter } from "node:events";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";

/**
 * This process's waiting apps: long polls and event streams, by device. notifyDevice wakes the
 * ones here at once; a request created by another process is seen at the next poll of the table
 * (POLL_MS), so no process needs to know the others (the same design as Link's job streams).
 */
export const POLL_MS = 1000;
export const CLOSE = Symbol("close");

interface Hub {
  readonly events: EventEmitter;
  readonly open: Map<string, number>;
}
const hubs = new WeakMap<ServerContext, Hub>();

function hub(ctx: ServerContext): Hub {
  let found = hubs.get(ctx);
  if (found === undefined) {
    found = { events: new EventEmitter(), open: new Map() };
    found.events.setMaxListeners(0);
    hubs.set(ctx, found);
  }
  return found;
}

/** Wakes this process's waiters of the device. */
export const wakeDevice = (ctx: ServerContext, deviceId: string): void => {
  hub(ctx).events.emit(deviceId);
};

/** Ends every long poll and stream of this process (the server is closing). */
export const closeWaiters = (ctx: ServerContext): void => {
  hub(ctx).events.emit(CLOSE);
};

/**
 * Takes one of the device's waiting slots in this process, RateLimited when all are taken: a
 * device (or a stolen key) cannot hold an unbounded number of sockets and pollers. The returned
 * function gives it back, once.
 */
export function takeWaitingSlot(ctx: ServerContext, deviceId: string): () => void {
  const { open } = hub(ctx);
  const taken = open.get(deviceId) ?? 0;
  const limit = ctx.config.push.maxStreamsPerDevice;
  if (taken >= limit)
    throw new TesseraError(TesseraApiCode.RateLimited, {
      message: `this device already holds ${limit} open streams or long polls (push.maxStreamsPerDevice); close one first`,
      retryAt: ctx.clock.now() + POLL_MS,
    });
  open.set(deviceId, taken + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const now = (open.get(deviceId) ?? 1) - 1;
    if (now <= 0) open.delete(deviceId);
    else open.set(deviceId, now);
  };
}

/**
 * Calls `check` now, then whenever the device is woken here or POLL_MS passes, until it returns
 * true, `ms` pass, the server closes or `signal` aborts. Checks never overlap.
 */
export function watchDevice(
  ctx: ServerContext,
  deviceId: string,
  check: () => Promise<boolean>,
  options: { readonly ms?: number; readonly signal?: AbortSignal },
): Promise<void> {
  const { events } = hub(ctx);
  return new Promise((resolve) => {
    let busy = false;
    let again = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      if (deadline !== undefined) clearTimeout(deadline);
      events.off(deviceId, run);
      events.off(CLOSE, finish);
      options.signal?.removeEventListener("abort", finish);
      resolve();
    };
    const run = async () => {
      if (finished) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        if (await check()) finish();
      } catch {
        finish();
      } finally {
        busy = false;
        if (again && !finished) {
          again = false;
          void run();
        }
      }
    };
    const timer = setInterval(run, POLL_MS);
    const deadline = options.ms === undefined ? undefined : setTimeout(finish, options.ms);
    events.on(deviceId, run);
    events.on(CLOSE, finish);
    options.signal?.addEventListener("abort", finish);
    if (options.signal?.aborted === true) finish();
    else void run();
  });
}

/** How many long polls and streams of the device wait in this process (tests wait for it). */
export const waitingCount = (ctx: ServerContext, deviceId: string): number =>
  hub(ctx).open.get(deviceId) ?? 0;
