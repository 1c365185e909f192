import type { Kysely } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { Schema } from "../../storage/schema.ts";
import { claimOf, renewLease } from "./claim-job.ts";
import type { Claim, JobRow } from "./job-store.ts";

/** The run no longer holds its job: it stops and writes nothing more (job-machine.md, Fencing). */
export class LeaseLost extends Error {
  override readonly name = "LeaseLost";
}

/**
 * One run's hold on its claimed job: the claim (owner and epoch) every write checks, the lease
 * expiry last granted to it, and a signal aborted the moment the hold is lost, which aborts the
 * connector's in-flight request. Lost is final: a run never gets its job back (a new claim is a
 * new run).
 *
 * Two checks, because neither is enough alone. The compare-and-set renewal asks the database,
 * which alone knows whether another claim took the job. The local check (has the granted expiry
 * passed on this process's clock?) covers what a database answer cannot: a process paused
 * (SIGSTOP, a long GC, a suspended VM) right after a successful renewal wakes up with a lease
 * that may have lapsed and been claimed meanwhile, and must not act on the stale answer.
 *
 * The local check gives up a quarter of the lease early (SKEW_SHARE). Expiries are stamped and
 * compared on each process's own clock: another host whose clock runs ahead claims the job that
 * much sooner, and the holder must have stopped by then. A quarter of the default 60 s lease
 * tolerates 15 s of skew between hosts (docs/link.md, Fencing: keep clocks in sync with NTP).
 */
const SKEW_SHARE = 0.25;

export class JobLease {
  readonly jobId: string;
  readonly claim: Claim;
  readonly #ctx: ServerContext;
  readonly #lost = new AbortController();
  #until: number;
  #released = false;

  constructor(ctx: ServerContext, job: JobRow) {
    this.#ctx = ctx;
    this.jobId = job.id;
    this.claim = claimOf(job);
    this.#until = job.lease_expires_at ?? 0;
  }

  /** Aborted when the lease is lost; its reason is the LeaseLost error. */
  get signal(): AbortSignal {
    return this.#lost.signal;
  }

  get lost(): boolean {
    return this.#lost.signal.aborted;
  }

  /** Why the lease was lost (for the log line), once it was. */
  get reason(): string | undefined {
    return this.lost ? (this.#lost.signal.reason as LeaseLost).message : undefined;
  }

  /**
   * Marks the lease lost (the first reason stays) and returns the error to throw. After the run
   * gave its job up itself (`released`), a renewal still in flight is refused without that
   * counting as a loss.
   */
  lose(reason: string): LeaseLost {
    if (this.#released) return new LeaseLost(reason);
    if (!this.lost) this.#lost.abort(new LeaseLost(reason));
    return this.#lost.signal.reason as LeaseLost;
  }

  /** The run's own transition took the job out of running (queued, waiting, done). */
  release(): void {
    this.#released = true;
  }

  /** Until when this process acts on its lease: the granted expiry less the skew margin. */
  get #actUntil(): number {
    return this.#until - this.#ctx.config.link.leaseSeconds * 1000 * SKEW_SHARE;
  }

  /** Throws unless the lease is still held as far as this process can tell without asking. */
  assertHeld(): void {
    if (this.lost) throw this.#lost.signal.reason;
    if (this.#ctx.clock.now() >= this.#actUntil)
      throw this.lose("the lease expired on this process's clock before it was renewed");
  }

  /**
   * Renews the lease by compare-and-set on the claim, in `db` (a transaction that then writes
   * under it, or the database). Returns the new expiry; the caller records it with `granted`
   * once the write is committed. Throws LeaseLost when the job is no longer this claim's.
   */
  async renewIn(db: Kysely<Schema>): Promise<number> {
    this.assertHeld();
    const until = this.#ctx.clock.now() + this.#ctx.config.link.leaseSeconds * 1000;
    if (!(await renewLease(db, this.jobId, this.claim, until)))
      throw this.lose("the database says the job is no longer this run's (claimed again or ended)");
    return until;
  }

  granted(until: number): void {
    if (until > this.#until) this.#until = until;
  }

  /** Renews and re-checks: a pause during the round trip may have outlasted the new lease too. */
  async renew(): Promise<number> {
    const until = await this.renewIn(this.#ctx.database.db);
    this.granted(until);
    this.assertHeld();
    return until;
  }

  /**
   * The periodic renewal; never throws. A refused renewal stops the run at once. A renewal that
   * fails (the database briefly unavailable) is retried at the next tick, but never past the
   * lease: once the last granted expiry passes on this clock the run stops, since another process
   * may claim the job from then on. Returns the new expiry, or undefined when not renewed.
   */
  async tick(): Promise<number | undefined> {
    try {
      return await this.renew();
    } catch (error) {
      if (error instanceof LeaseLost) return undefined;
      this.#ctx.link.log.warn(
        { jobId: this.jobId, error: (error as Error).message },
        "sync job lease renewal failed",
      );
      if (this.#ctx.clock.now() >= this.#actUntil)
        this.lose("the lease could not be renewed before it expired");
      return undefined;
    }
  }
}
