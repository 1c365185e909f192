import type { FastifyPluginAsync } from "fastify";
import type { Kysely } from "kysely";
import { success } from "../app/envelope.ts";
import { decodeCursor, nextCursorProperty, pageOf, pageQueryProperties } from "../app/paging.ts";
import { okResponse } from "../app/route-schemas.ts";
import type { Schema } from "../storage/schema.ts";
import { userFromRequest } from "../users/user-from-request.ts";
import { userFromPath } from "../users/user-routes.ts";
import { usernameInput } from "../users/username.ts";
import type { AuthenticatorRow } from "./authenticator-store.ts";
import { authenticatorSchema, authenticatorView } from "./authenticator-view.ts";
import { authenticatorTypeNames } from "./registry.ts";

export interface TokenFilter {
  readonly userId?: string;
  readonly type?: string;
  readonly activated?: boolean;
  readonly enabled?: boolean;
  readonly assigned?: boolean;
}

export type ListedToken = AuthenticatorRow & { holder: string | null };

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

/**
 * One page of a tenant's tokens, by serial (the key set: serials are unique), each with its
 * holder's username. Every query is bound to the tenant, whatever the filter names.
 */
export function listAuthenticators(
  db: Kysely<Schema>,
  tenantId: string,
  filter: TokenFilter,
  page: { limit: number; after?: string | undefined },
): Promise<ListedToken[]> {
  return authenticatorListQuery(db, tenantId, filter, page).execute();
}

/**
 * The query of listAuthenticators, unexecuted (a test reads its plan). Migration 010's indexes,
 * (tenant_id, serial) and (tenant_id, user_id, serial), make each page a range scan within the
 * tenant (and the user, or the unassigned tokens) in serial order: no other tenant's rows are
 * walked and nothing is sorted.
 */
export function authenticatorListQuery(
  db: Kysely<Schema>,
  tenantId: string,
  filter: TokenFilter,
  page: { limit: number; after?: string | undefined },
) {
  let q = db
    .selectFrom("authenticators")
    .leftJoin("users", "users.id", "authenticators.user_id")
    .selectAll("authenticators")
    .select("users.username as holder")
    .where("authenticators.tenant_id", "=", tenantId);
  if (filter.userId !== undefined) q = q.where("authenticators.user_id", "=", filter.userId);
  if (filter.type !== undefined) q = q.where("authenticators.type", "=", filter.type);
  if (filter.activated !== undefined) q = q.where("authenticators.activated", "=", filter.activated ? 1 : 0);
  if (filter.enabled !== undefined) q = q.where("authenticators.enabled", "=", filter.enabled ? 1 : 0);
  if (filter.assigned !== undefined)
    q = q.where("authenticators.user_id", filter.assigned ? "is not" : "is", null);
  if (page.after !== undefined) q = q.where("authenticators.serial", ">", page.after);
  return q.orderBy("authenticators.serial").limit(page.limit);
}

/** A page of rows and where the next starts, for the API and the CLI alike. */
export async function authenticatorPage(
  db: Kysely<Schema>,
  tenantId: string,
  filter: TokenFilter,
  limit: number,
  cursor: string | undefined,
) {
  const after = decodeCursor(cursor, ["string"])?.[0] as string | undefined;
  const rows = await listAuthenticators(db, tenantId, filter, { limit: limit + 1, after });
  const { page, nextCursor } = pageOf(rows, limit, (row) => [row.serial]);
  return { authenticators: page.map((row) => authenticatorView(row, row.holder)), nextCursor };
}

const pageResponse = {
  200: okResponse({ authenticators: { type: "array", items: authenticatorSchema }, ...nextCursorProperty }),
};
type PageQuery = { limit?: number; cursor?: string };
type ListQuery = PageQuery & Omit<TokenFilter, "userId"> & { username?: string };

export const authenticatorListRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: ListQuery }>(
    "/authenticators",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            username: { ...usernameInput, description: "only this user's tokens" },
            type: { type: "string", enum: [...authenticatorTypeNames] },
            activated: { type: "boolean" },
            enabled: { type: "boolean" },
            assigned: { type: "boolean", description: "false: the unassigned tokens (the pool and orphans)" },
            ...pageQueryProperties(DEFAULT_PAGE, MAX_PAGE),
          },
          additionalProperties: false,
        },
        response: pageResponse,
      },
    },
    async (request) => {
      const { username, limit, cursor, ...filter } = request.query;
      const user =
        username === undefined ? undefined : await userFromRequest(request, username, "querystring.username");
      return success(
        await authenticatorPage(
          request.server.ctx.database.db,
          request.tenant.id,
          user === undefined ? filter : { ...filter, userId: user.id },
          limit ?? DEFAULT_PAGE,
          cursor,
        ),
      );
    },
  );

  app.get<{ Params: { username: string }; Querystring: PageQuery }>(
    "/users/:username/authenticators",
    {
      schema: {
        params: {
          type: "object",
          properties: { username: { type: "string", maxLength: 300 } },
          required: ["username"],
        },
        querystring: {
          type: "object",
          properties: pageQueryProperties(DEFAULT_PAGE, MAX_PAGE),
          additionalProperties: false,
        },
        response: pageResponse,
      },
    },
    async (request) => {
      const user = await userFromPath(request);
      const { limit, cursor } = request.query;
      return success(
        await authenticatorPage(
          request.server.ctx.database.db,
          request.tenant.id,
          { userId: user.id },
          limit ?? DEFAULT_PAGE,
          cursor,
        ),
      );
    },
  );
};

/** Every token that matches, page by page (the CLI's lists: never cut off). */
export async function allAuthenticators(db: Kysely<Schema>, tenantId: string, filter: TokenFilter) {
  const all: ReturnType<typeof authenticatorView>[] = [];
  let cursor: string | undefined;
  do {
    const page = await authenticatorPage(db, tenantId, filter, MAX_PAGE, cursor);
    all.push(...page.authenticators);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}
