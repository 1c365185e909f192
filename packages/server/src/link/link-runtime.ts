import { EventEmitter } from "node:events";
import type { ServerContext } from "../app/server-context.ts";
import type { TesseraConfig } from "../config/tessera-config.ts";
import { rehashLogins } from "./credentials/rehash-logins.ts";
import { LinkWorker } from "./jobs/link-worker.ts";
import { ensureSiteSlots, restoreMissingSlots } from "./jobs/site-slots.ts";
import type { SandboxBank } from "./sandbox-bank/sandbox-bank.ts";
import type { Site } from "./sites/site.ts";

export interface LinkLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Whether this process serves the Sandbox Bank, where its sites are reached, and why. */
export interface SandboxDecision {
  readonly served: boolean;
  /** The Sandbox Bank's base URL (served here or by link.sandboxUrl); undefined: its sites are not offered. */
  readonly url: string | undefined;
  readonly message: string;
}

const silent: LinkLog = { info() {}, warn() {}, error() {} };

/**
 * Link's per-process parts: the Sandbox Bank (when served here), the job worker, and an in-process
 * signal when a job changes, so live status streams answer at once. None of it is state a job
 * depends on: that is all in the database.
 */
export class LinkRuntime {
  sandboxUrl: string | undefined;
  log: LinkLog = silent;
  /**
   * Whether look-up still accepts the plain SHA-256 of earlier releases: until this process's
   * conversion pass (rehash-logins.ts) finds no such row left.
   */
  plainLoginHashes = true;
  readonly updates = new EventEmitter();
  #worker: LinkWorker | undefined;
  #sandbox: SandboxBank | undefined;
  #decision: SandboxDecision | undefined;

  constructor(config: TesseraConfig) {
    this.sandboxUrl = config.link.sandboxUrl;
    this.updates.setMaxListeners(0);
  }

  /** Serves the Sandbox Bank if it is asked for (see serveSandbox) and starts the worker. */
  async start(ctx: ServerContext, options: { worker: boolean; log?: LinkLog }): Promise<void> {
    if (options.log !== undefined) this.log = options.log;
    await this.serveSandbox(ctx);
    // Slot rows of every site, stored ones included: a site whose rows went missing (a restore, a
    // write cut short) would otherwise never have a job claimed.
    await ensureSiteSlots(ctx.database.db);
    await restoreMissingSlots(ctx.database.db);
    if (options.worker) {
      // Look-up hashes of earlier releases (or of a key rotated without re-hashing) are converted
      // once, before this process runs jobs; a no-op query when there are none.
      const { changed, failed } = await rehashLogins(ctx);
      if (changed > 0)
        this.log.info({ rehashed: changed }, "credential look-up hashes moved to the active key");
      if (failed > 0)
        this.log.warn(
          { failed },
          "credential look-up hashes left unconverted (logged above by credential id)",
        );
      this.#worker = new LinkWorker(ctx);
      this.#worker.start();
    }
  }

  /**
   * Serves the Sandbox Bank when it is asked for (link.sandbox=on) or on the embedded quick-start
   * default (auto with SQLite), never by default with PostgreSQL, where a production server would
   * otherwise offer a fake bank to every tenant. Decided once per process; says what and why, for
   * the first line of the server's log.
   */
  async serveSandbox(ctx: ServerContext): Promise<SandboxDecision> {
    if (this.#decision !== undefined) return this.#decision;
    const { sandbox, sandboxPort } = ctx.config.link;
    const embedded = ctx.database.dialect === "sqlite";
    if (this.sandboxUrl !== undefined) {
      this.#decision = {
        served: false,
        url: this.sandboxUrl,
        message: `Sandbox Bank used at ${this.sandboxUrl} (link.sandboxUrl is set; unset it for production)`,
      };
    } else if (sandbox === "on" || (sandbox === "auto" && embedded)) {
      // Loaded only where it is served: production processes and most CLI commands never need it.
      const { startSandboxBank } = await import("./sandbox-bank/sandbox-bank.ts");
      this.#sandbox = await startSandboxBank(ctx.clock, sandboxPort);
      this.sandboxUrl = this.#sandbox.url;
      const why = sandbox === "on" ? "link.sandbox=on" : "link.sandbox=auto on the embedded SQLite database";
      this.#decision = {
        served: true,
        url: this.sandboxUrl,
        message: `Sandbox Bank served at ${this.sandboxUrl} (${why}; set link.sandbox=off for production)`,
      };
    } else {
      const why = sandbox === "off" ? "link.sandbox=off" : "link.sandbox=auto with PostgreSQL";
      this.#decision = {
        served: false,
        url: undefined,
        message: `Sandbox Bank off (${why}; link.sandbox=on serves it)`,
      };
    }
    return this.#decision;
  }

  /** Where a site is reached: its own URL, or for a Sandbox Bank site, under the Sandbox Bank. */
  siteUrl(site: Site): string | undefined {
    if (!site.sandbox) return site.url;
    return this.sandboxUrl === undefined ? undefined : new URL(site.url, this.sandboxUrl).toString();
  }

  /** Work was queued here: look for it now instead of at the next poll. */
  nudge(): void {
    this.#worker?.nudge();
  }

  /** A job's timeline grew: live status streams in this process answer at once. */
  notify(jobId: string): void {
    this.updates.emit(jobId);
  }

  get runningJobs(): number {
    return this.#worker?.running ?? 0;
  }

  async stop(): Promise<void> {
    // Live status streams end; clients reconnect to another process with Last-Event-ID.
    this.updates.emit("close");
    await this.#worker?.stop();
    this.#worker = undefined;
    await this.#sandbox?.close();
    this.#sandbox = undefined;
  }
}
