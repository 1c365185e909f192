import { Counter } from "prom-client";
import type { ServerContext } from "../../app/server-context.ts";

/** Which check refused a send: a rate limit's name, or the country allow-list. */
export const refusalKinds = [
  "source",
  "user",
  "destination",
  "destination-day",
  "country",
  "country-not-allowed",
] as const;
export type RefusalKind = (typeof refusalKinds)[number];

const counters = new WeakMap<ServerContext, Counter<"limit">>();

/**
 * Sends refused by the anti-pumping checks, per check: a rise in `country-not-allowed` or
 * `country` is what a pumping attempt looks like. One counter per server context (so two test
 * servers in one process never count each other's), registered at /metrics by metrics-plugin.ts;
 * every series exists from the start so an alert on its increase works before the first refusal.
 */
export function sendingLimitMetrics(ctx: ServerContext): Counter<"limit"> {
  let counter = counters.get(ctx);
  if (counter === undefined) {
    counter = new Counter({
      name: "tessera_out_of_band_sends_refused_total",
      help: "Codes not sent by SMS, voice or e-mail because an anti-pumping check refused them, per check",
      labelNames: ["limit"] as const,
      registers: [],
    });
    for (const limit of refusalKinds) counter.inc({ limit }, 0);
    counters.set(ctx, counter);
  }
  return counter;
}
