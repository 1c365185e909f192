import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../clock/clock.ts";
import type { SiteVariant } from "./sandbox-login.ts";
import { readSession, type SandboxSession } from "./sandbox-session.ts";

/** What the Sandbox Bank's route plugins share: the clock, the first-try memory, stalled requests. */
export interface SandboxSite {
  readonly clock: Clock;
  /** Logins this instance has seen (the unavailable-once scenario fails only the first time). */
  readonly seen: Set<string>;
  /** Requests held open by the timeout scenario, released when the client gives up or at close. */
  readonly stalled: Set<FastifyReply>;
}

export function firstTry(site: SandboxSite, variant: SiteVariant, username: string): boolean {
  const key = `${variant}:${username}`;
  if (site.seen.has(key)) return false;
  site.seen.add(key);
  return true;
}

/** Holds the request open until the client hangs up (its timeout) or the site closes. */
export function stall(site: SandboxSite, reply: FastifyReply): Promise<void> {
  site.stalled.add(reply);
  return new Promise((resolve) => {
    reply.raw.on("close", () => {
      site.stalled.delete(reply);
      resolve();
    });
  });
}

export function sessionOf(site: SandboxSite, request: FastifyRequest): SandboxSession | undefined {
  return readSession(request.headers.cookie, site.clock.now());
}
