import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { okResponse } from "../app/route-schemas.ts";
import { findApp } from "../sso/apps/app-store.ts";
import { checkPolicyInput, type PolicyInput, policyBody, policySchema } from "./policy-schema.ts";
import { deletePolicy, findPolicyRow, type PolicyRow, policyOf, putPolicy } from "./policy-store.ts";

/** The policy as answered: its rules, whose it is, and when it was written. */
export function policyView(row: PolicyRow) {
  const policy = policyOf(row);
  return {
    scope: policy.clientId === undefined ? "tenant" : "app",
    clientId: policy.clientId ?? null,
    ...policy.rules,
    onError: policy.onError,
    createdAt: policy.createdAt,
    updatedAt: policy.updatedAt,
  };
}

const clientIdParams = {
  type: "object",
  properties: { clientId: { type: "string", minLength: 1, maxLength: 200 } },
  required: ["clientId"],
} as const;

type Scoped = FastifyRequest<{ Params: { clientId?: string } }>;

/**
 * The policy's owner from the URL: undefined for the tenant-wide one, else the client id of one of
 * the calling tenant's apps. Another tenant's app is NotFound, as an app that does not exist.
 */
async function ownerOf(request: Scoped): Promise<string | undefined> {
  const clientId = request.params.clientId;
  if (clientId === undefined) {
    request.auditSubject = `policy:tenant`;
    return undefined;
  }
  request.auditSubject = `policy:app:${clientId}`;
  if ((await findApp(request.server.ctx, request.tenant.id, clientId)) === undefined)
    throw new TesseraError(TesseraApiCode.NotFound, {
      message: `no app ${clientId}`,
      field: "params.clientId",
    });
  return clientId;
}

const response = { 200: okResponse({ policy: policySchema }) };

/**
 * `/v1/policies/tenant` and `/v1/policies/apps/{clientId}`: read, replace (PUT, the whole policy:
 * a rule left out is no rule) and delete the tenant-wide policy and each app's. Admin scope.
 */
export const policyRoutes: FastifyPluginAsync = async (app) => {
  for (const path of ["/policies/tenant", "/policies/apps/:clientId"]) {
    const params = path.includes(":") ? { params: clientIdParams } : {};

    app.get(path, { schema: { ...params, response } }, async (request: Scoped) => {
      const clientId = await ownerOf(request);
      const row = await findPolicyRow(request.server.ctx.database.db, request.tenant.id, clientId);
      if (row === undefined)
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: clientId === undefined ? "the tenant has no policy" : `app ${clientId} has no policy`,
        });
      return success({ policy: policyView(row) });
    });

    app.put<{ Body: PolicyInput }>(
      path,
      { schema: { ...params, body: policyBody, response } },
      async (request) => {
        const clientId = await ownerOf(request as Scoped);
        const rules = checkPolicyInput(request.body);
        const onError = request.body.onError;
        const { database, clock } = request.server.ctx;
        const row = await putPolicy(
          database.db,
          request.tenant.id,
          clientId,
          rules,
          onError ?? "deny",
          clock.now(),
        );
        return success({ policy: policyView(row) });
      },
    );

    app.delete(
      path,
      { schema: { ...params, response: { 200: okResponse({}) } } },
      async (request: Scoped) => {
        const clientId = await ownerOf(request);
        if (!(await deletePolicy(request.server.ctx.database.db, request.tenant.id, clientId)))
          throw new TesseraError(TesseraApiCode.NotFound, { message: "no policy to delete" });
        return success({});
      },
    );
  }
};
