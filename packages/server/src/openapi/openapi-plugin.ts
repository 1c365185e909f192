import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { documentOperations } from "./document-operations.ts";
import { documentedDomains } from "./documented-domains.ts";

/**
 * The OpenAPI 3.1 document, generated from the route schemas (so it cannot drift from what the
 * server validates) and the per-domain docs files (summaries, descriptions, errors, examples),
 * served at /openapi.json, with an interactive reference page at /docs.
 * Must be registered before the routes it describes.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tessera API",
        version: "1",
        description:
          "Every response carries errorCode (0 for success), errorName and errorMessage next to its payload; each operation lists the codes it can answer, grouped by HTTP status, from the catalog (docs/status-codes.md). The examples carry the catalog's generic errorMessage; the server's errorMessage varies (it names the field, the user or the token at fault) and is for people. Match on errorCode (and errorName), never on the message. Conventions and flows: docs/api.md.",
      },
      components: {
        securitySchemes: {
          tenantApiKey: { type: "http", scheme: "bearer", description: "A tenant API key (tsk_…)" },
        },
      },
      security: [{ tenantApiKey: [] }],
    },
  });
  documentOperations(app, documentedDomains);
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
