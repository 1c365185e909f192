import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Kysely, Selectable } from "kysely";
import type Provider from "oidc-provider";
import { perDatabase, preparedQuery } from "../../storage/prepared-query.ts";
import type { Schema, TenantsTable } from "../../storage/schema.ts";
import { providerResponseCsp } from "../pages/sso-headers.ts";
import { issuerPath } from "./provider-configuration.ts";
import { answerFault, auditFault, markStart, trackProviderRequest } from "./provider-faults.ts";

/**
 * Mounts each tenant's oidc-provider under /oidc/<tenant id>/ in the Fastify server itself: the
 * route hands the raw request and response to the provider's Koa handler (no second HTTP server,
 * one port, one set of timeouts). Its own interaction pages (sso/interactions/) are more specific
 * routes and win over this one.
 *
 * oidc-provider reads request bodies itself, so this plugin keeps Fastify from consuming them.
 */
const handlers = new WeakMap<Provider, ReturnType<Provider["callback"]>>();

const params = {
  type: "object",
  properties: { tenant: { type: "string", maxLength: 64 }, "*": { type: "string" } },
  required: ["tenant"],
} as const;

export async function providerRoutes(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));

  app.all<{ Params: { tenant: string } }>(
    "/oidc/:tenant/*",
    { schema: { params, hide: true } },
    async (request, reply) => {
      markStart(request);
      const tenantId = await ssoTenantOf(request);
      const prefix = issuerPath(tenantId);
      let provider: Provider;
      try {
        provider = await app.ctx.sso.providerFor(tenantId);
      } catch (error) {
        if (!TesseraError.is(error) || error.code !== ApiReturnCode.SSOCertificateError) throw error;
        await auditFault(request, tenantId, error.code);
        return answerFault(request, reply, error.code, error.cause ?? error);
      }
      let handler = handlers.get(provider);
      if (handler === undefined) {
        handler = provider.callback();
        handlers.set(provider, handler);
      }
      const raw = request.raw as typeof request.raw & { originalUrl?: string };
      reply.raw.setHeader("x-request-id", request.id);
      // Pages the provider renders itself get a CSP too (Tessera's own pages set a stricter one).
      reply.raw.setHeader("content-security-policy", providerResponseCsp);
      reply.hijack();
      // As Express and koa-mount do: the provider sees its own paths, and derives the mount path
      // from originalUrl for the URLs it builds.
      raw.originalUrl = raw.url ?? "";
      // The client's address, scheme and host as Fastify resolved them (trusted proxies only); a
      // client cannot choose its address for the provider (rate limits, policies, audit) by
      // sending X-Forwarded-For itself.
      raw.headers["x-forwarded-for"] = request.ip;
      raw.headers["x-forwarded-proto"] = request.protocol;
      raw.headers["x-forwarded-host"] = request.host;
      raw.url = (raw.url ?? "").slice(prefix.length) || "/";
      trackProviderRequest(request);
      await handler(raw, reply.raw);
    },
  );
}

/** Prepared: every SSO request looks its tenant up, by id only (an issuer is named by its id). */
const tenantQuery = perDatabase((db: Kysely<Schema>) =>
  preparedQuery<Schema, { id: string }, Pick<Selectable<TenantsTable>, "id" | "disabled" | "expires_at">>(
    db,
    (p) => db.selectFrom("tenants").select(["id", "disabled", "expires_at"]).where("id", "=", p("id")),
  ),
);

/** The tenant an SSO request names; an unknown, disabled or expired one is not found. */
export async function ssoTenantOf(request: FastifyRequest<{ Params: { tenant: string } }>): Promise<string> {
  const { ctx } = request.server;
  const [tenant] = await tenantQuery(ctx.database.db)({ id: request.params.tenant });
  const usable =
    tenant !== undefined &&
    tenant.id === request.params.tenant &&
    Number(tenant.disabled) === 0 &&
    (tenant.expires_at === null || Number(tenant.expires_at) > ctx.clock.now());
  if (!usable) throw new TesseraError(TesseraApiCode.NotFound, { message: "no such issuer" });
  return tenant.id;
}
