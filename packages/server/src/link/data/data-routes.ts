import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { okResponse, time } from "../../app/route-schemas.ts";
import { EXPECT_KEYWORD } from "../../app/validator-compiler.ts";
import { tenantCredential } from "../credentials/credential-routes.ts";
import { userFilterOf, userFilterProperties, userFilterShape } from "../user-filter.ts";
import { tenantAccount } from "./tenant-account.ts";

/** Accounts and transactions, read with filters; both paged (limit, cursor). */
const accountSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    credentialId: { type: "string" },
    externalId: { type: "string" },
    name: { type: "string" },
    kind: { type: "string" },
    currency: { type: "string" },
    balance: { type: ["string", "null"] },
    numberMask: { type: ["string", "null"] },
    updatedAt: time,
  },
} as const;

const transactionSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    accountId: { type: "string" },
    externalId: { type: "string" },
    date: { type: "string" },
    amount: { type: "string" },
    description: { type: "string" },
    memo: { type: ["string", "null"] },
    kind: { type: ["string", "null"] },
    updatedAt: time,
  },
} as const;

export const day = {
  type: "string",
  format: "date",
  pattern: "^\\d{4}-\\d{2}-\\d{2}$",
  maxLength: 10,
  [EXPECT_KEYWORD]: "a date, YYYY-MM-DD",
} as const;
export const id = { type: "string", maxLength: 64 } as const;

/** Accounts oldest first, transactions newest first; ties in the time are ordered by id. */
const accountCursor = listCursor("accounts", ["number", "string"]);
const transactionCursor = listCursor("transactions", ["string", "string"]);

export const dataRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { credential?: string; user?: string; limit?: number; cursor?: string } }>(
    "/accounts",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            credential: id,
            ...userFilterProperties,
            ...pageQueryProperties(100, 500),
          },
          additionalProperties: false,
          ...userFilterShape,
        },
        response: {
          200: okResponse({ accounts: { type: "array", items: accountSchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const { db } = request.server.ctx.database;
      const limit = request.query.limit ?? 100;
      let query = db
        .selectFrom("link_accounts")
        .selectAll("link_accounts")
        .where("link_accounts.tenant_id", "=", request.tenant.id);
      // A filter by a credential that is not the tenant's is 404, as transactions by such an
      // account are, not an empty page.
      if (request.query.credential !== undefined) {
        await tenantCredential(request, request.query.credential, "querystring.credential");
        query = query.where("credential_id", "=", request.query.credential);
      }
      const username = userFilterOf(request);
      if (username !== undefined)
        query = query
          .innerJoin("users", "users.id", "link_accounts.user_id")
          .where("users.username", "=", username);
      const after = accountCursor.decode(request.query.cursor);
      if (after !== undefined)
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple("link_accounts.created_at", "link_accounts.id"),
            ">",
            tuple(after[0] as number, after[1] as string),
          ),
        );
      const rows = await query
        .orderBy("link_accounts.created_at")
        .orderBy("link_accounts.id")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = accountCursor.page(rows, limit, (a) => [a.created_at, a.id]);
      return success({
        accounts: page.map((a) => ({
          id: a.id,
          credentialId: a.credential_id,
          externalId: a.external_id,
          name: a.name,
          kind: a.kind,
          currency: a.currency,
          balance: a.balance,
          numberMask: a.number_mask,
          updatedAt: new Date(a.updated_at).toISOString(),
        })),
        nextCursor,
      });
    },
  );

  app.get<{ Querystring: { account: string; from?: string; to?: string; cursor?: string; limit?: number } }>(
    "/transactions",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            account: id,
            from: day,
            to: day,
            ...pageQueryProperties(100, 500),
          },
          required: ["account"],
          additionalProperties: false,
        },
        response: {
          200: okResponse({
            transactions: { type: "array", items: transactionSchema },
            ...nextCursorProperty,
          }),
        },
      },
    },
    async (request) => {
      const { db } = request.server.ctx.database;
      const { account, from, to, cursor } = request.query;
      const limit = request.query.limit ?? 100;
      await tenantAccount(request, account);
      let query = db.selectFrom("link_transactions").selectAll().where("account_id", "=", account);
      if (from !== undefined) query = query.where("posted_on", ">=", from);
      if (to !== undefined) query = query.where("posted_on", "<=", to);
      const after = transactionCursor.decode(cursor);
      if (after !== undefined)
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple("posted_on", "id"), "<", tuple(after[0] as string, after[1] as string)),
        );
      const rows = await query
        .orderBy("posted_on", "desc")
        .orderBy("id", "desc")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = transactionCursor.page(rows, limit, (t) => [t.posted_on, t.id]);
      return success({
        transactions: page.map((t) => ({
          id: t.id,
          accountId: t.account_id,
          externalId: t.external_id,
          date: t.posted_on,
          amount: t.amount,
          description: t.description,
          memo: t.memo,
          kind: t.kind,
          updatedAt: new Date(t.updated_at).toISOString(),
        })),
        nextCursor,
      });
    },
  );
};
