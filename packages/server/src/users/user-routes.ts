import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../app/paging.ts";
import { body, okResponse } from "../app/route-schemas.ts";
import { revokeAccountSso } from "../sso/provider/account-revocation.ts";
import { type EnrolmentRequest, enrolUser } from "./enrol-user.ts";
import { enrolmentSchema } from "./enrolment-schema.ts";
import { importUsers } from "./import-users.ts";
import { deleteUser, findUser, listUsers, type UserChanges, type UserRow, updateUser } from "./user-store.ts";
import { userFields, userSchema, userView } from "./user-view.ts";
import { requireWellFormed, usernameInput } from "./username.ts";

const usernameParam = {
  type: "object",
  properties: { username: { type: "string", maxLength: 300 } },
  required: ["username"],
} as const;
type UsernameParams = { Params: { username: string } };

/** The user named in the path, or InvalidPartnerUserLogin; records it as the audit subject. */
export async function userFromPath(request: FastifyRequest<UsernameParams>): Promise<UserRow> {
  const username = requireWellFormed(request.params.username, "params.username");
  request.auditSubject = `user:${username}`;
  const user = await findUser(request.server.ctx.database.db, request.tenant.id, username);
  if (user === undefined) {
    throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
      message: `no user ${username}`,
      field: "params.username",
    });
  }
  return user;
}

const createBody = enrolmentSchema;
// One user: a malformed username is reported with the body's other problems. An import reports
// it per row instead (import-users.ts), so one bad row does not refuse the others.
const createOneBody = {
  ...enrolmentSchema,
  properties: { ...enrolmentSchema.properties, username: usernameInput },
} as const;
const userCursor = listCursor("users", ["string"]);

export const userRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: EnrolmentRequest }>(
    "/users",
    {
      config: { idempotent: true },
      schema: { body: createOneBody, response: { 201: okResponse({ user: userSchema }) } },
    },
    async (request, reply) => {
      request.auditSubject = `user:${String(request.body.username).toLowerCase()}`;
      const user = await enrolUser(
        request.server.ctx,
        request.tenant,
        request.body,
        ApiReturnCode.EnrollPartnerUserFailed,
      );
      return reply.code(201).send(success({ user: userView(user) }));
    },
  );

  app.post<{ Body: { users: EnrolmentRequest[] } }>(
    "/users/import",
    {
      config: { idempotent: true },
      schema: {
        body: body({ users: { type: "array", minItems: 1, maxItems: 1000, items: createBody } }, ["users"]),
        response: {
          200: okResponse({
            created: { type: "integer" },
            rejected: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  row: { type: "integer" },
                  username: { type: "string" },
                  errorCode: { type: "integer" },
                  errorName: { type: "string" },
                  errorMessage: { type: "string" },
                },
              },
            },
          }),
        },
      },
    },
    async (request) => success(await importUsers(request.server.ctx, request.tenant, request.body.users)),
  );

  app.get<UsernameParams>(
    "/users/:username",
    { schema: { params: usernameParam, response: { 200: okResponse({ user: userSchema }) } } },
    async (request) => success({ user: userView(await userFromPath(request)) }),
  );

  app.get<{ Querystring: { query?: string; by?: "username" | "email"; limit?: number; cursor?: string } }>(
    "/users",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            query: { type: "string", maxLength: 300 },
            by: { type: "string", enum: ["username", "email"] },
            ...pageQueryProperties(50, 200),
          },
          additionalProperties: false,
        },
        response: {
          200: okResponse({
            users: { type: "array", items: userSchema },
            ...nextCursorProperty,
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await listUsers(request.server.ctx.database.db, request.tenant.id, {
        by: request.query.by ?? "username",
        pattern: request.query.query,
        limit: limit + 1,
        after: userCursor.decode(request.query.cursor)?.[0] as string | undefined,
      });
      const { page, nextCursor } = userCursor.page(rows, limit, (user) => [user.username]);
      return success({ users: page.map(userView), nextCursor });
    },
  );

  app.patch<UsernameParams & { Body: UserChanges & { unlock?: boolean } }>(
    "/users/:username",
    {
      schema: {
        params: usernameParam,
        body: body({ ...userFields, unlock: { type: "boolean", description: "clear a password lockout" } }),
        response: { 200: okResponse({ user: userSchema }) },
      },
    },
    async (request) => {
      const user = await userFromPath(request);
      const { database, clock } = request.server.ctx;
      const updated = await updateUser(database.db, user.id, request.body, clock.now());
      if (updated === undefined)
        throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, { field: "params.username" });
      // A disabled user's provider sessions and refresh tokens end now, not at their next use.
      if (request.body.disabled === true) await revokeAccountSso(request.server.ctx, user.tenant_id, user.id);
      return success({ user: userView(updated) });
    },
  );

  app.delete<UsernameParams>(
    "/users/:username",
    { schema: { params: usernameParam, response: { 200: okResponse({}) } } },
    async (request) => {
      const user = await userFromPath(request);
      await deleteUser(request.server.ctx.database.db, user.id);
      await revokeAccountSso(request.server.ctx, user.tenant_id, user.id);
      return success({});
    },
  );
};
