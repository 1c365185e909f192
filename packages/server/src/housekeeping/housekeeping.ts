import type { ServerContext } from "../app/server-context.ts";
import { HousekeepingMetrics } from "./housekeeping-metrics.ts";
import { housekeepingKinds, runHousekeepingRound } from "./housekeeping-round.ts";

export interface HousekeepingLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const silent: HousekeepingLog = { info() {}, error() {} };

/**
 * A server process's housekeeping: a round every `housekeeping.intervalSeconds` (the first one
 * interval after the start, so a restart loop cannot turn into a delete loop). Rounds never
 * overlap within a process: the next one is scheduled when the previous one ended.
 */
export class Housekeeping {
  readonly metrics = new HousekeepingMetrics(housekeepingKinds);
  log: HousekeepingLog = silent;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> | undefined;
  #stopped = false;

  start(ctx: ServerContext, log?: HousekeepingLog): void {
    if (log !== undefined) this.log = log;
    this.#stopped = false;
    this.#schedule(ctx);
  }

  #schedule(ctx: ServerContext): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = runHousekeepingRound(ctx, ctx.clock.now()).finally(() => {
        this.#round = undefined;
        this.#schedule(ctx);
      });
    }, ctx.config.housekeeping.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** No new round starts; a round under way finishes (its batches are short) before this returns. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
  }
}
