import type { DomainOperations } from "../../openapi/operation-docs.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import type { Site } from "./site.ts";
import { siteSchema } from "./site-routes.ts";

/** A site as the route serialises it (the schema's properties only), so the example cannot drift. */
const shown = (site: Site) =>
  Object.fromEntries(Object.keys(siteSchema.properties).map((key) => [key, site[key as keyof Site]]));

/** Documentation of link/sites/site-routes.ts. */
export const siteOperations: DomainOperations = {
  tag: "link",
  operations: {
    "GET /v1/link/sites": {
      summary: "List the sites credentials can connect to",
      description:
        "Lists the sites this server offers, each with the fields its login form needs (the Sandbox Bank's sites only where it runs). Reads only; safe to repeat.",
      errors: [],
      response: {
        sites: [shown(sandboxSites[0] as Site)],
        nextCursor: null,
      },
    },
  },
};
