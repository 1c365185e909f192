import type { ServerContext } from "../../app/server-context.ts";
import type { Site } from "../sites/site.ts";
import { siteStillOn } from "../sites/site-kill-switch.ts";
import type { JobLease } from "./job-lease.ts";

/** The operator switched the site off: the job ends before its next request reaches the site. */
export class SiteSwitchedOff extends Error {
  override readonly name = "SiteSwitchedOff";
}

/**
 * How long a reading of the site's kill switch answers for the run's requests: a step of several
 * requests (redirects, an OFX sign-on then its challenge) costs one database read, and a switch
 * turned off reaches the site's requests within this time.
 */
export const SWITCH_READ_MS = 1000;

/**
 * The run's checks before each site request (job-machine.md, Fencing), wired into the connector's
 * context: `beforeRequest` renews the lease by compare-and-set on the claim and reads the kill
 * switch (cached for SWITCH_READ_MS); `beforeSend` runs once the connection is open, right before
 * the request's first byte, and checks the lease on this process's clock only, synchronously: the
 * name lookup and the connect come after beforeRequest, and a process paused there must not send
 * a request it no longer holds the job for.
 */
export class RequestGuard {
  readonly #ctx: ServerContext;
  readonly #lease: JobLease;
  readonly #site: Site;
  #readAt = Number.NEGATIVE_INFINITY;
  #on = false;

  constructor(ctx: ServerContext, lease: JobLease, site: Site) {
    this.#ctx = ctx;
    this.#lease = lease;
    this.#site = site;
  }

  /** Reads the kill switch now (at every step), and answers the next requests for SWITCH_READ_MS. */
  async siteOn(): Promise<boolean> {
    const at = this.#ctx.clock.now();
    this.#on = await siteStillOn(this.#ctx, this.#site);
    this.#readAt = at;
    return this.#on;
  }

  readonly beforeRequest = async (): Promise<void> => {
    await this.#lease.renew();
    const fresh = this.#ctx.clock.now() - this.#readAt < SWITCH_READ_MS;
    if (!(fresh ? this.#on : await this.siteOn())) throw new SiteSwitchedOff();
  };

  readonly beforeSend = (): void => {
    this.#lease.assertHeld();
  };
}
