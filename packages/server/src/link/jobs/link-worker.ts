import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ServerContext } from "../../app/server-context.ts";
import { sandboxSites } from "../sites/sandbox-sites.ts";
import type { Site } from "../sites/site.ts";
import { anySite, offeredTo } from "../sites/site-directory.ts";
import { deliverDueWebhooks } from "../webhooks/deliver-webhooks.ts";
import { claimJob, endExhausted, expireQuestions, runnableJobs } from "./claim-job.ts";
import { JobLease } from "./job-lease.ts";
import { runJob } from "./run-job.ts";
import { holdBackForSite } from "./site-gate.ts";
import { releaseSiteSlot, renewSiteSlot, takeSiteSlot } from "./site-slots.ts";

/** No slot row has this number: releasing or renewing it changes nothing. */
const NO_SLOT = -1;

/**
 * Lists of runnable jobs one round asks for at most. Each list holds only jobs not seen before in
 * the round, so the round ends; what is left waits for the next one (a poll or a nudge).
 */
const QUERIES_PER_ROUND = 8;

/** What one claim round knows: jobs looked at, sites looked up, sites found full, maintenance ends. */
interface Round {
  readonly seen: string[];
  readonly sites: Map<string, Site | undefined>;
  readonly full: Set<string>;
  readonly ends: Map<string, number | undefined>;
}

/**
 * The per-process job worker. It holds no job state of its own: each round it asks the database
 * for runnable jobs, expired questions and due webhooks, so any process can carry on any job.
 * A round runs every pollIntervalMs, and at once when this process queued work (nudge).
 */
export class LinkWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #ctx: ServerContext;
  readonly #active = new Map<string, Promise<void>>();
  readonly #stopping = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #again = false;

  constructor(ctx: ServerContext) {
    this.#ctx = ctx;
  }

  get running(): number {
    return this.#active.size;
  }

  start(): void {
    this.#timer = setInterval(() => this.nudge(), this.#ctx.config.link.pollIntervalMs);
    this.#timer.unref();
    this.nudge();
  }

  nudge(): void {
    if (this.#stopping.signal.aborted) return;
    if (this.#round !== undefined) {
      this.#again = true;
      return;
    }
    this.#round = this.#work()
      .catch((error: unknown) =>
        this.#ctx.link.log.warn({ error: (error as Error).message }, "link worker round failed"),
      )
      .finally(() => {
        this.#round = undefined;
        if (this.#again) {
          this.#again = false;
          this.nudge();
        }
      });
  }

  async #work(): Promise<void> {
    const { db } = this.#ctx.database;
    for (const id of await expireQuestions(db, this.#ctx.clock.now())) this.#ctx.link.notify(id);
    await this.#claim();
    await deliverDueWebhooks(this.#ctx);
  }

  /**
   * Claims runnable jobs until the workers are busy. The database offers only jobs whose site has
   * a free slot, fairly between tenants (runnableJobs); a list used up without filling the workers
   * is followed by the next jobs (up to QUERIES_PER_ROUND lists), so no number of jobs held back
   * (a site filled meanwhile, a maintenance window) keeps other jobs waiting for the next round.
   */
  async #claim(): Promise<void> {
    const { db } = this.#ctx.database;
    const { workers } = this.#ctx.config.link;
    const now = this.#ctx.clock.now();
    const round: Round = { seen: [], sites: new Map(), full: new Set(), ends: new Map() };
    for (let query = 0; query < QUERIES_PER_ROUND; query++) {
      if (this.#active.size >= workers || this.#stopping.signal.aborted) return;
      const options = { limit: workers * 2, sandbox: sandboxSites, seen: round.seen };
      const candidates = await runnableJobs(db, now, options);
      if (candidates.length === 0) return;
      for (const candidate of candidates) {
        if (this.#active.size >= workers || this.#stopping.signal.aborted) return;
        round.seen.push(candidate.id);
        if (this.#active.has(candidate.id) || round.full.has(candidate.site_id)) continue;
        await this.#claimOne(candidate, now, round);
      }
    }
  }

  async #claimOne(
    candidate: { id: string; site_id: string; tenant_id: string },
    now: number,
    round: Round,
  ): Promise<void> {
    const { db } = this.#ctx.database;
    const leaseMs = this.#ctx.config.link.leaseSeconds * 1000;
    const { id: jobId, site_id: siteId } = candidate;
    if (!round.sites.has(siteId)) round.sites.set(siteId, await anySite(this.#ctx, siteId));
    // A site removed meanwhile, or whose id another tenant took since (its login must never go
    // there), takes no slot: the run ends the job at once (runJob checks the owner again).
    const site = offeredTo(round.sites.get(siteId), candidate.tenant_id);
    if (site !== undefined && (await holdBackForSite(this.#ctx, jobId, site, now, round.ends))) return;
    const slot = site === undefined ? NO_SLOT : await takeSiteSlot(db, site, jobId, now, leaseMs);
    if (slot === undefined) {
      round.full.add(siteId);
      return;
    }
    const job = await claimJob(db, jobId, this.owner, now, leaseMs);
    if (job === undefined) {
      await releaseSiteSlot(db, siteId, slot, jobId);
      return;
    }
    const release = () => releaseSiteSlot(db, job.site_id, slot, job.id);
    if (job.attempt > this.#ctx.config.link.maxAttempts) {
      await endExhausted(db, job, now);
      await release();
      this.#ctx.link.notify(job.id);
      return;
    }
    this.#active.set(job.id, this.#execute(job, slot, release));
  }

  /**
   * Runs a claimed job under its lease, renewed every lease/3. A renewal that is refused (or one
   * that keeps failing until the lease passes) aborts the run's connector at once (job-lease.ts).
   */
  async #execute(job: Awaited<ReturnType<typeof claimJob>> & {}, slot: number, release: () => Promise<void>) {
    const { db } = this.#ctx.database;
    const lease = new JobLease(this.#ctx, job);
    const renew = setInterval(
      async () => {
        const until = await lease.tick();
        if (until !== undefined) await renewSiteSlot(db, job.site_id, slot, job.id, until).catch(() => {});
      },
      (this.#ctx.config.link.leaseSeconds * 1000) / 3,
    );
    try {
      await runJob(this.#ctx, job, lease, this.#stopping.signal);
    } catch (error) {
      this.#ctx.link.log.error({ jobId: job.id, error: (error as Error).message }, "sync job round failed");
    } finally {
      clearInterval(renew);
      if (lease.lost) {
        // The slot is left to lapse: the claim that took the job over may hold this very slot row
        // (slots are keyed by job), and releasing it would free a slot another run is using.
        this.#ctx.link.log.warn(
          { jobId: job.id, epoch: lease.claim.epoch, reason: lease.reason },
          "sync job stopped: its lease was lost",
        );
      } else {
        await release().catch(() => {});
      }
      this.#active.delete(job.id);
      this.nudge();
    }
  }

  /** Interrupts running jobs (they return to the queue for another process) and waits for them. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stopping.abort();
    await Promise.allSettled([...this.#active.values(), this.#round]);
  }
}
