/**
 * Operations that answer something other than the JSON envelope (the Prometheus text, the OpenAPI
 * document itself, the reference page), so envelope checks pass them by.
 */
export const withoutEnvelope: ReadonlySet<string> = new Set([
  "GET /metrics",
  "GET /openapi.json",
  "GET /docs/",
]);
