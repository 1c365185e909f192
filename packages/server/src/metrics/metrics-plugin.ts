import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { sendingLimitMetrics } from "../out-of-band/pumping/sending-limit-metrics.ts";
import { transportsOf } from "../out-of-band/transports/transport-runtime.ts";
import { radiusDropMetrics } from "../radius/clients/drop-metrics.ts";

/**
 * Prometheus metrics at /metrics: request counts and latencies per route pattern (never per raw
 * URL, which would leak tokens and explode cardinality), housekeeping's deletions and rounds, plus
 * Node's process metrics.
 */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tessera_" });
  for (const metric of app.ctx.housekeeping.metrics.all) registry.registerMetric(metric);
  registry.registerMetric(sendingLimitMetrics(app.ctx));
  for (const metric of transportsOf(app.ctx).metrics.all) registry.registerMetric(metric);
  registry.registerMetric(radiusDropMetrics(app.ctx));
  const labelNames = ["method", "route", "status_code"] as const;
  const requests = new Counter({
    name: "tessera_http_requests_total",
    help: "HTTP requests answered",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "tessera_http_request_duration_seconds",
    help: "Time to answer an HTTP request",
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook("onResponse", async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? "(unmatched)",
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });
  return registry;
}
