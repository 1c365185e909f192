import { Counter } from "prom-client";
import type { ServerContext } from "../../app/server-context.ts";

/** Why the listener dropped a packet without answering it. */
export const dropReasons = ["unknown-source", "wrong-secret", "no-message-authenticator"] as const;
export type DropReason = (typeof dropReasons)[number];

const counters = new WeakMap<ServerContext, Counter<"reason">>();

/**
 * RADIUS packets dropped unanswered (RFC 2865 §3: silently), per reason: every one counts, also
 * those beyond the audit trail's rate limit. One counter per server context, registered at
 * /metrics by metrics-plugin.ts; every series exists from the start, so an alert on its
 * increase works before the first drop.
 */
export function radiusDropMetrics(ctx: ServerContext): Counter<"reason"> {
  let counter = counters.get(ctx);
  if (counter === undefined) {
    counter = new Counter({
      name: "tessera_radius_packets_dropped_total",
      help: "RADIUS packets dropped unanswered: from an unknown source, with a wrong shared secret or without a required Message-Authenticator",
      labelNames: ["reason"] as const,
      registers: [],
    });
    for (const reason of dropReasons) counter.inc({ reason }, 0);
    counters.set(ctx, counter);
  }
  return counter;
}
