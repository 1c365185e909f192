import type { Scope } from "../tenants/key-scopes.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import type { ServerContext } from "./server-context.ts";

/** What Tessera adds to Fastify's request and instance (type-only declaration merging). */
declare module "fastify" {
  interface FastifyInstance {
    ctx: ServerContext;
  }
  interface FastifyRequest {
    /** The authenticated tenant; set by the tenant authentication hook on /v1 routes. */
    tenant: Tenant;
    /** `apikey:<id>` once authenticated. */
    actor: string;
    /** What the request acted on, for the audit trail (`user:alice`). */
    auditSubject: string | null;
    /** The scopes of the presented API key, once authenticated. */
    keyScopes: readonly Scope[];
  }
  interface FastifyContextConfig {
    /** The API-key scope this route needs (tenants/key-scopes.ts); none declared means `admin`. */
    scope?: Scope;
  }
}
