import type { FastifyPluginAsync } from "fastify";
import { credentialRoutes } from "./credentials/credential-routes.ts";
import { dataRoutes } from "./data/data-routes.ts";
import { investmentRoutes } from "./data/investment-routes.ts";
import { jobRoutes } from "./jobs/job-routes.ts";
import { siteRoutes } from "./sites/site-routes.ts";
import { webhookRoutes } from "./webhooks/webhook-routes.ts";

/** Link's API under /v1/link, one plugin per domain concept. */
const linkPlugins = [siteRoutes, credentialRoutes, jobRoutes, dataRoutes, investmentRoutes, webhookRoutes];

export const linkRoutes: FastifyPluginAsync = async (app) => {
  for (const plugin of linkPlugins) await app.register(plugin);
};
