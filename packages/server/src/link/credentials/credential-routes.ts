import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { envelope, success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { body, okResponse } from "../../app/route-schemas.ts";
import { markDeprecatedUse } from "../../app/time-input.ts";
import { userFromRequest, usernameOf } from "../../users/user-from-request.ts";
import { usernameInput } from "../../users/username.ts";
import { jobSchema, jobView } from "../jobs/job-view.ts";
import { userFilterOf, userFilterProperties, userFilterShape } from "../user-filter.ts";
import { connectCredential } from "./connect-credential.ts";
import { type CredentialRow, deleteCredential, findCredential } from "./credential-store.ts";
import { credentialSchema, credentialView } from "./credential-view.ts";
import { startSync } from "./start-sync.ts";

type IdParams = { Params: { id: string } };
export const idParam = {
  type: "object",
  properties: { id: { type: "string", maxLength: 64, pattern: "^[A-Za-z0-9-]+$" } },
  required: ["id"],
} as const;

/**
 * The tenant's credential `id`, named in the request at `field` (a path or a filter): another
 * tenant's is answered exactly as an unknown one, so its existence never shows.
 */
export async function tenantCredential(
  request: FastifyRequest,
  id: string,
  field: string,
): Promise<CredentialRow> {
  const row = await findCredential(request.server.ctx.database.db, request.tenant.id, id);
  if (row === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, { message: `no credential ${id}`, field });
  return row;
}

export async function credentialFromPath(request: FastifyRequest<IdParams>): Promise<CredentialRow> {
  request.auditSubject = `credential:${request.params.id}`;
  return tenantCredential(request, request.params.id, "params.id");
}

/** Oldest first; credentials created in the same millisecond are ordered by id. */
const credentialCursor = listCursor("credentials", ["number", "string"]);

const connectResponse = okResponse({
  credential: credentialSchema,
  isNew: { type: "boolean" },
  job: jobSchema,
});

export const credentialRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { username: string; site: string; fields: Record<string, unknown> } }>(
    "/credentials",
    {
      config: { idempotent: true },
      schema: {
        body: body(
          {
            username: usernameInput,
            site: { type: "string", maxLength: 100 },
            fields: { type: "object", maxProperties: 20 },
          },
          ["username", "site", "fields"],
        ),
        response: { 200: connectResponse, 201: connectResponse },
      },
    },
    async (request, reply) => {
      const user = await userFromRequest(request, request.body.username);
      const { credential, isNew, job } = await connectCredential(request.server.ctx, {
        tenantId: request.tenant.id,
        userId: user.id,
        siteId: request.body.site,
        fields: request.body.fields,
        onDeprecated: () => markDeprecatedUse(request.body),
      });
      request.auditSubject = `credential:${credential.id}`;
      reply.code(isNew ? 201 : 200);
      return success({ credential: credentialView(credential, user.username), isNew, job: jobView(job) });
    },
  );

  app.get<{
    Querystring: { username?: string; user?: string; site?: string; limit?: number; cursor?: string };
  }>(
    "/credentials",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            ...userFilterProperties,
            site: { type: "string", maxLength: 100 },
            ...pageQueryProperties(100, 500),
          },
          additionalProperties: false,
          ...userFilterShape,
        },
        response: {
          200: okResponse({ credentials: { type: "array", items: credentialSchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const { db } = request.server.ctx.database;
      const limit = request.query.limit ?? 100;
      let query = db
        .selectFrom("link_credentials")
        .innerJoin("users", "users.id", "link_credentials.user_id")
        .selectAll("link_credentials")
        .select("users.username")
        .where("link_credentials.tenant_id", "=", request.tenant.id);
      const username = userFilterOf(request);
      if (username !== undefined) query = query.where("users.username", "=", username);
      if (request.query.site !== undefined)
        query = query.where("link_credentials.site_id", "=", request.query.site);
      const after = credentialCursor.decode(request.query.cursor);
      if (after !== undefined)
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple("link_credentials.created_at", "link_credentials.id"),
            ">",
            tuple(after[0] as number, after[1] as string),
          ),
        );
      const rows = await query
        .orderBy("link_credentials.created_at")
        .orderBy("link_credentials.id")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = credentialCursor.page(rows, limit, (row) => [row.created_at, row.id]);
      return success({ credentials: page.map((row) => credentialView(row, row.username)), nextCursor });
    },
  );

  app.get<IdParams>(
    "/credentials/:id",
    { schema: { params: idParam, response: { 200: okResponse({ credential: credentialSchema }) } } },
    async (request) => {
      const row = await credentialFromPath(request);
      return success({ credential: credentialView(row, (await usernameOf(request, row.user_id)) ?? "") });
    },
  );

  app.delete<IdParams>(
    "/credentials/:id",
    { schema: { params: idParam, response: { 200: okResponse({}) } } },
    async (request) => {
      const row = await credentialFromPath(request);
      await deleteCredential(request.server.ctx.database.db, row, request.server.ctx.clock.now());
      return success({});
    },
  );

  app.post<IdParams>(
    "/credentials/:id/sync",
    {
      schema: {
        params: idParam,
        response: { 201: okResponse({ job: jobSchema }), 409: okResponse({ job: jobSchema }) },
      },
    },
    async (request, reply) => {
      const row = await credentialFromPath(request);
      const { job, started } = await startSync(request.server.ctx, row, { coolDown: true, reply });
      if (!started) {
        reply.code(409);
        return {
          ...envelope(TesseraApiCode.SyncInProgress, `job ${job.id} of this credential has not ended yet`),
          job: jobView(job),
        };
      }
      reply.code(201);
      return success({ job: jobView(job) });
    },
  );
};
