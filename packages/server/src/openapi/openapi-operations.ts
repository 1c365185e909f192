import type { DomainOperations } from "./operation-docs.ts";

/** Documentation of the reference itself (openapi-plugin.ts). */
export const openApiOperations: DomainOperations = {
  tag: "operations",
  operations: {
    "GET /openapi.json": {
      summary: "This OpenAPI 3.1 document",
      description:
        "The machine-readable reference of every operation: schemas, the API-key scope, the codes each can answer grouped by HTTP status, and examples. Generated from the route schemas the server validates with. No API key. Reads only; safe to repeat.",
      errors: [],
      public: true,
      content: {
        mediaType: "application/json",
        description: "The OpenAPI 3.1 document.",
        example: '{"openapi":"3.1.0","info":{"title":"Tessera API","version":"1"},"paths":{…}}',
      },
    },
    "GET /docs": {
      summary: "The interactive reference page",
      description:
        "Renders this document as an interactive page (Swagger UI) in a browser. No API key. Reads only; safe to repeat.",
      errors: [],
      public: true,
      content: { mediaType: "text/html", description: "The reference page.", example: "<!doctype html>…" },
    },
  },
};
