import type { DomainOperations } from "../openapi/operation-docs.ts";

/** Documentation of metrics/metrics-plugin.ts. */
export const metricsOperations: DomainOperations = {
  tag: "operations",
  operations: {
    "GET /metrics": {
      summary: "Prometheus metrics",
      description:
        "Metrics in the Prometheus text exposition format (prom-client): `tessera_http_requests_total` and `tessera_http_request_duration_seconds` per method, route pattern and status (never per raw URL, which would leak tokens), housekeeping's `tessera_housekeeping_deleted_total` and `tessera_housekeeping_failures_total` per kind of data, `tessera_housekeeping_rounds_total` per result and `tessera_housekeeping_last_round_duration_seconds`, and Node's process metrics prefixed `tessera_`. No API key: expose it only to the scraper's network. Reads only; safe to repeat.",
      errors: [],
      public: true,
      content: {
        mediaType: "text/plain; version=0.0.4; charset=utf-8",
        description: "Prometheus text exposition format 0.0.4.",
        example:
          '# HELP tessera_http_requests_total HTTP requests answered\n# TYPE tessera_http_requests_total counter\ntessera_http_requests_total{method="GET",route="/v1/sessions/:token",status_code="200"} 42\n',
      },
    },
  },
};
