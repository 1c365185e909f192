import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../app/paging.ts";
import { body, okResponse } from "../app/route-schemas.ts";
import { requireValidTenantRelyingParty } from "../authenticators/webauthn/relying-party-settings.ts";
import {
  challengeCountriesSchema,
  requireKnownCountries,
} from "../out-of-band/pumping/challenge-countries.ts";
import { encodeReplyAttributes, replyAttributesSchema } from "../radius/reply-attributes.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys.ts";
import { isValidIpRange } from "./ip-ranges.ts";
import { type Scope, scopesSchema } from "./key-scopes.ts";
import {
  ssoSecondFactorValues,
  type TenantSettings,
  updateTenant,
  webauthnAttestationValues,
  webauthnUserVerificationValues,
} from "./tenant-store.ts";
import { apiKeySchema, tenantSchema } from "./tenant-view.ts";

const apiKeyCursor = listCursor("api-keys", ["number", "string"]);
const domainPattern = "^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$";

/** The calling tenant's own settings and API keys. Tenants are created by the operator (CLI). */
export const tenantRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    "/tenant",
    { schema: { response: { 200: okResponse({ tenant: tenantSchema }) } } },
    async (request) => success({ tenant: request.tenant }),
  );

  app.patch<{ Body: TenantSettings }>(
    "/tenant",
    {
      schema: {
        body: body({
          allowedIpRanges: { type: "array", maxItems: 100, items: { type: "string", maxLength: 64 } },
          allowedEmailDomains: {
            type: "array",
            maxItems: 100,
            items: { type: "string", pattern: domainPattern },
          },
          passwordMaxFailures: { type: "integer", minimum: 1, maximum: 100 },
          lockoutBaseSeconds: { type: "integer", minimum: 1, maximum: 86400 },
          passwordMaxAgeDays: { type: ["integer", "null"], minimum: 1, maximum: 3650 },
          otpMaxFailures: { type: "integer", minimum: 1, maximum: 100 },
          otpLockoutSeconds: { type: "integer", minimum: 1, maximum: 86400 },
          maxConsecutiveFailures: { type: "integer", minimum: 1, maximum: 100 },
          activationCodes: { type: "integer", enum: [1, 2] },
          ssoSecondFactor: { type: "string", enum: [...ssoSecondFactorValues] },
          ssoSelfEnrolment: { type: "boolean" },
          challengeCodeTtlSeconds: { type: "integer", minimum: 60, maximum: 3600 },
          challengeCountries: challengeCountriesSchema,
          pushRequestTtlSeconds: { type: "integer", minimum: 10, maximum: 600 },
          pushMaxPending: { type: "integer", minimum: 1, maximum: 10 },
          pushMaxPerHour: { type: "integer", minimum: 1, maximum: 1000 },
          pushCooldownSeconds: { type: "integer", minimum: 0, maximum: 86400 },
          webauthnRpId: { type: ["string", "null"], minLength: 1, maxLength: 253 },
          webauthnRpName: {
            type: ["string", "null"],
            minLength: 1,
            maxLength: 100,
            pattern: "^[^\\u0000-\\u001f\\u007f]+$",
          },
          webauthnOrigins: {
            type: "array",
            maxItems: 20,
            uniqueItems: true,
            items: { type: "string", minLength: 1, maxLength: 300 },
          },
          webauthnUserVerification: { type: "string", enum: [...webauthnUserVerificationValues] },
          webauthnAttestation: { type: "string", enum: [...webauthnAttestationValues] },
          webauthnAaguids: {
            type: "array",
            maxItems: 500,
            uniqueItems: true,
            items: {
              type: "string",
              pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            },
          },
          webauthnU2fAppId: { type: ["string", "null"], minLength: 1, maxLength: 300 },
          radiusReplyAttributes: replyAttributesSchema,
        }),
        response: { 200: okResponse({ tenant: tenantSchema }) },
      },
    },
    async (request) => {
      const ranges = request.body.allowedIpRanges ?? [];
      const bad = ranges.findIndex((range) => !isValidIpRange(range));
      if (bad >= 0) {
        throw new TesseraError(TesseraApiCode.MalformedRequest, {
          message: `body.allowedIpRanges.${bad} is not an IP address or CIDR range`,
          field: `body.allowedIpRanges.${bad}`,
        });
      }
      requireKnownCountries(request.body.challengeCountries);
      await requireValidTenantRelyingParty(request.server.ctx, request.tenant, request.body);
      if (request.body.radiusReplyAttributes !== undefined)
        encodeReplyAttributes(request.body.radiusReplyAttributes);
      request.auditSubject = `tenant:${request.tenant.id}`;
      const { db } = request.server.ctx.database;
      return success({
        tenant: await updateTenant(db, request.tenant.id, request.body, request.server.ctx.clock.now()),
      });
    },
  );

  // Key management is `admin` only (the plugin's scope), so a narrower key cannot mint a wider one.
  app.post<{ Body: { name: string; scopes?: Scope[] } }>(
    "/api-keys",
    {
      config: { idempotent: true },
      schema: {
        body: body({ name: { type: "string", minLength: 1, maxLength: 100 }, scopes: scopesSchema }, [
          "name",
        ]),
        response: { 201: okResponse({ apiKey: { type: "string" }, key: apiKeySchema }) },
      },
    },
    async (request, reply) => {
      const { database, clock } = request.server.ctx;
      // Least privilege when unsaid: a key that only validates logins.
      const scopes = request.body.scopes ?? ["auth"];
      const created = await createApiKey(
        database.db,
        request.tenant.id,
        request.body.name,
        scopes,
        clock.now(),
      );
      request.auditSubject = `apikey:${created.record.id}`;
      return reply.code(201).send(success({ apiKey: created.apiKey, key: created.record }));
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    "/api-keys",
    {
      schema: {
        querystring: {
          type: "object",
          properties: pageQueryProperties(50, 200),
          additionalProperties: false,
        },
        response: {
          200: okResponse({ apiKeys: { type: "array", items: apiKeySchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listApiKeys(request.server.ctx.database.db, request.tenant.id, {
        after: apiKeyCursor.decode(request.query.cursor) as [number, string] | undefined,
        limit: limit + 1,
      });
      const { page, nextCursor } = apiKeyCursor.page(rows, limit, (key) => [key.createdAt, key.id]);
      return success({ apiKeys: page, nextCursor });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/api-keys/:id",
    {
      schema: {
        params: {
          type: "object",
          properties: { id: { type: "string", pattern: "^[a-z0-9]{16}$" } },
          required: ["id"],
        },
        response: { 200: okResponse({}) },
      },
    },
    async (request) => {
      const { database, clock } = request.server.ctx;
      request.auditSubject = `apikey:${request.params.id}`;
      if (!(await revokeApiKey(database.db, request.tenant.id, request.params.id, clock.now()))) {
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: `no live API key ${request.params.id}`,
          field: "params.id",
        });
      }
      return success({}, ApiReturnCode.Success);
    },
  );
};
