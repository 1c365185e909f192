import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { okResponse, time } from "../../app/route-schemas.ts";

/** Accounts and transactions, read with filters; transactions newest first with a cursor. */
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

const day = { type: "string", format: "date", pattern: "^\\d{4}-\\d{2}-\\d{2}$", maxLength: 10 } as const;
const id = { type: "string", maxLength: 64 } as const;

const cursorCodec = {
  encode: (date: string, rowId: string) => Buffer.from(`${date}|${rowId}`).toString("base64url"),
  decode(cursor: string): [string, string] {
    const [date, rowId] = Buffer.from(cursor, "base64url").toString().split("|");
    if (date === undefined || rowId === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new TesseraError(TesseraApiCode.MalformedRequest, {
        message: "cursor is not one this API gave",
        field: "querystring.cursor",
      });
    return [date, rowId];
  },
};

export const dataRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { credential?: string; user?: string } }>(
    "/accounts",
    {
      schema: {
        querystring: {
          type: "object",
          properties: { credential: id, user: { type: "string", maxLength: 300 } },
          additionalProperties: false,
        },
        response: { 200: okResponse({ accounts: { type: "array", items: accountSchema } }) },
      },
    },
    async (request) => {
      const { db } = request.server.ctx.database;
      let query = db
        .selectFrom("link_accounts")
        .selectAll("link_accounts")
        .where("link_accounts.tenant_id", "=", request.tenant.id);
      if (request.query.credential !== undefined)
        query = query.where("credential_id", "=", request.query.credential);
      if (request.query.user !== undefined)
        query = query
          .innerJoin("users", "users.id", "link_accounts.user_id")
          .where("users.username", "=", request.query.user);
      const rows = await query
        .orderBy("link_accounts.created_at")
        .orderBy("link_accounts.id")
        .limit(1000)
        .execute();
      return success({
        accounts: rows.map((a) => ({
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
            cursor: { type: "string", maxLength: 200, pattern: "^[A-Za-z0-9_-]*$" },
            limit: { type: "integer", minimum: 1, maximum: 500 },
          },
          required: ["account"],
          additionalProperties: false,
        },
        response: {
          200: okResponse({
            transactions: { type: "array", items: transactionSchema },
            nextCursor: { type: ["string", "null"] },
          }),
        },
      },
    },
    async (request) => {
      const { db } = request.server.ctx.database;
      const { account, from, to, cursor } = request.query;
      const limit = request.query.limit ?? 100;
      const owned = await db
        .selectFrom("link_accounts")
        .select("id")
        .where("id", "=", account)
        .where("tenant_id", "=", request.tenant.id)
        .executeTakeFirst();
      if (owned === undefined)
        throw new TesseraError(TesseraApiCode.NotFound, {
          message: `no account ${account}`,
          field: "querystring.account",
        });
      let query = db.selectFrom("link_transactions").selectAll().where("account_id", "=", account);
      if (from !== undefined) query = query.where("posted_on", ">=", from);
      if (to !== undefined) query = query.where("posted_on", "<=", to);
      if (cursor !== undefined) {
        const [date, rowId] = cursorCodec.decode(cursor);
        query = query.where((eb) =>
          eb.or([eb("posted_on", "<", date), eb.and([eb("posted_on", "=", date), eb("id", "<", rowId)])]),
        );
      }
      const rows = await query
        .orderBy("posted_on", "desc")
        .orderBy("id", "desc")
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
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
        nextCursor:
          rows.length > limit && last !== undefined ? cursorCodec.encode(last.posted_on, last.id) : null,
      });
    },
  );
};
