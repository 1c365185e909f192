import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { okResponse } from "../../app/route-schemas.ts";
import { idParam } from "../credentials/credential-routes.ts";
import type { Site } from "./site.ts";
import { findSite, listSites } from "./site-directory.ts";
import {
  MAX_CA_BYTES,
  type NewSiteInput,
  newSiteSchema,
  type SiteChangesInput,
  siteChangesSchema,
} from "./site-input.ts";
import { siteSchema, siteView } from "./site-view.ts";
import { addSite, removeSite, updateSite } from "./site-writes.ts";

export { siteSchema };

/** The catalogue is small, but pages like every list, by id, so a client needs one loop. */
const siteCursor = listCursor("sites", ["string"]);
type IdParams = { Params: { id: string } };
const siteResponse = okResponse({ site: siteSchema });
/** Room for a CA bundle at its limit (64 KiB) beside the rest of the site, past the API's 64 KiB. */
const bodyLimit = MAX_CA_BYTES + 32 * 1024;

/** Another tenant's site is NotFound, exactly like an unknown id: its existence is not revealed. */
async function siteFromPath(request: FastifyRequest<IdParams>): Promise<Site> {
  request.auditSubject = `site:${request.params.id}`;
  const site = await findSite(request.server.ctx, request.tenant.id, request.params.id);
  if (site === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no site ${request.params.id}`,
      field: "params.id",
    });
  return site;
}

/**
 * A tenant changes only its own sites. A shared site is used by every tenant: letting one tenant
 * change it would let it point everyone's bank logins at its own server. The tenant can read it
 * (GET), so refusing with SiteReadOnly reveals nothing NotFound would hide.
 */
async function ownSiteFromPath(request: FastifyRequest<IdParams>): Promise<Site> {
  const site = await siteFromPath(request);
  if (site.sandbox || site.tenantId !== request.tenant.id)
    throw new TesseraError(TesseraApiCode.SiteReadOnly, {
      message: site.sandbox
        ? `site ${site.id} is built in (the Sandbox Bank's): nobody changes it`
        : `site ${site.id} is shared by the operator; only the operator changes it (tessera link site update)`,
      field: "params.id",
    });
  return site;
}

const goneMeanwhile = (id: string) =>
  new TesseraError(TesseraApiCode.NotFound, { message: `no site ${id}`, field: "params.id" });

export const siteRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/sites",
    {
      schema: {
        querystring: {
          type: "object",
          properties: pageQueryProperties(50, 200),
          additionalProperties: false,
        },
        response: { 200: okResponse({ sites: { type: "array", items: siteSchema }, ...nextCursorProperty }) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = siteCursor.decode(request.query.cursor)?.[0] as string | undefined;
      const rows = await listSites(request.server.ctx, request.tenant.id, after, limit + 1);
      const { page, nextCursor } = siteCursor.page(rows, limit, (site) => [site.id]);
      return success({ sites: page.map((site) => siteView(site, request.tenant.id)), nextCursor });
    },
  );

  app.get<IdParams>(
    "/sites/:id",
    { schema: { params: idParam, response: { 200: siteResponse } } },
    async (request) => success({ site: siteView(await siteFromPath(request), request.tenant.id) }),
  );

  app.post<{ Body: NewSiteInput }>(
    "/sites",
    {
      config: { scope: "admin", idempotent: true },
      bodyLimit,
      schema: { body: newSiteSchema, response: { 201: siteResponse } },
    },
    async (request, reply) => {
      request.auditSubject = `site:${request.body.id}`;
      const site = await addSite(request.server.ctx, request.body, request.tenant.id);
      reply.code(201);
      return success({ site: siteView(site, request.tenant.id) });
    },
  );

  app.patch<IdParams & { Body: SiteChangesInput }>(
    "/sites/:id",
    {
      config: { scope: "admin" },
      schema: { params: idParam, body: siteChangesSchema, response: { 200: siteResponse } },
    },
    async (request) => {
      const current = await ownSiteFromPath(request);
      const site = await updateSite(request.server.ctx, current, request.body);
      if (site === undefined) throw goneMeanwhile(current.id);
      return success({ site: siteView(site, request.tenant.id) });
    },
  );

  app.delete<IdParams>(
    "/sites/:id",
    { config: { scope: "admin" }, schema: { params: idParam, response: { 200: okResponse({}) } } },
    async (request) => {
      const site = await ownSiteFromPath(request);
      if (!(await removeSite(request.server.ctx, site))) throw goneMeanwhile(site.id);
      return success({});
    },
  );
};
