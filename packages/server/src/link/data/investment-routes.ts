import type { FastifyPluginAsync } from "fastify";
import { success } from "../../app/envelope.ts";
import { listCursor, nextCursorProperty, pageQueryProperties } from "../../app/paging.ts";
import { okResponse, time } from "../../app/route-schemas.ts";
import { day, id } from "./data-routes.ts";
import { tenantAccount } from "./tenant-account.ts";

/**
 * An investment account's data (docs/link.md, "Investment data"): positions as of the last
 * statement, investment transactions and the securities list, each paged (limit, cursor) and
 * each refusing an account that is not the caller's tenant's (NotFound).
 */
const nullable = { type: ["string", "null"] } as const;
const text = { type: "string" } as const;

const positionSchema = {
  type: "object",
  properties: {
    accountId: text,
    securityId: text,
    securityIdType: text,
    heldIn: nullable,
    positionType: nullable,
    units: text,
    unitPrice: text,
    marketValue: text,
    priceAsOf: text,
    memo: nullable,
    updatedAt: time,
  },
} as const;

const investmentTransactionSchema = {
  type: "object",
  properties: {
    id: text,
    accountId: text,
    externalId: text,
    action: text,
    ofxType: text,
    subtype: nullable,
    tradeDate: text,
    settleDate: nullable,
    securityId: nullable,
    securityIdType: nullable,
    units: nullable,
    unitPrice: nullable,
    total: nullable,
    description: nullable,
    updatedAt: time,
  },
} as const;

const securitySchema = {
  type: "object",
  properties: {
    accountId: text,
    securityId: text,
    securityIdType: text,
    name: text,
    ticker: nullable,
    type: text,
    updatedAt: time,
  },
} as const;

const accountQuery = (extra: object = {}) => ({
  type: "object",
  properties: { account: id, ...extra, ...pageQueryProperties(100, 500) },
  required: ["account"],
  additionalProperties: false,
});

/** Positions in the statement's order, transactions newest first, securities by id. */
const positionCursor = listCursor("positions", ["number"]);
const investmentCursor = listCursor("investment-transactions", ["string", "string"]);
const securityCursor = listCursor("securities", ["string", "string"]);

type Query = { account: string; limit?: number; cursor?: string };
const iso = (ms: number) => new Date(ms).toISOString();

export const investmentRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: Query }>(
    "/positions",
    {
      schema: {
        querystring: accountQuery(),
        response: {
          200: okResponse({ positions: { type: "array", items: positionSchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const { account, cursor, limit = 100 } = request.query;
      await tenantAccount(request, account);
      let query = request.server.ctx.database.db
        .selectFrom("link_positions")
        .selectAll()
        .where("account_id", "=", account);
      const after = positionCursor.decode(cursor);
      if (after !== undefined) query = query.where("ordinal", ">", after[0] as number);
      const rows = await query
        .orderBy("ordinal")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = positionCursor.page(rows, limit, (p) => [p.ordinal]);
      return success({
        positions: page.map((p) => ({
          accountId: p.account_id,
          securityId: p.security_id,
          securityIdType: p.security_id_type,
          heldIn: p.held_in,
          positionType: p.position_type,
          units: p.units,
          unitPrice: p.unit_price,
          marketValue: p.market_value,
          priceAsOf: p.price_as_of,
          memo: p.memo,
          updatedAt: iso(p.updated_at),
        })),
        nextCursor,
      });
    },
  );

  app.get<{ Querystring: Query & { from?: string; to?: string } }>(
    "/investment-transactions",
    {
      schema: {
        querystring: accountQuery({ from: day, to: day }),
        response: {
          200: okResponse({
            transactions: { type: "array", items: investmentTransactionSchema },
            ...nextCursorProperty,
          }),
        },
      },
    },
    async (request) => {
      const { account, from, to, cursor, limit = 100 } = request.query;
      await tenantAccount(request, account);
      let query = request.server.ctx.database.db
        .selectFrom("link_investment_transactions")
        .selectAll()
        .where("account_id", "=", account);
      if (from !== undefined) query = query.where("trade_date", ">=", from);
      if (to !== undefined) query = query.where("trade_date", "<=", to);
      const after = investmentCursor.decode(cursor);
      if (after !== undefined)
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple("trade_date", "id"), "<", tuple(after[0] as string, after[1] as string)),
        );
      const rows = await query
        .orderBy("trade_date", "desc")
        .orderBy("id", "desc")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = investmentCursor.page(rows, limit, (t) => [t.trade_date, t.id]);
      return success({
        transactions: page.map((t) => ({
          id: t.id,
          accountId: t.account_id,
          externalId: t.external_id,
          action: t.action,
          ofxType: t.ofx_type,
          subtype: t.subtype,
          tradeDate: t.trade_date,
          settleDate: t.settle_date,
          securityId: t.security_id,
          securityIdType: t.security_id_type,
          units: t.units,
          unitPrice: t.unit_price,
          total: t.total,
          description: t.description,
          updatedAt: iso(t.updated_at),
        })),
        nextCursor,
      });
    },
  );

  app.get<{ Querystring: Query }>(
    "/securities",
    {
      schema: {
        querystring: accountQuery(),
        response: {
          200: okResponse({ securities: { type: "array", items: securitySchema }, ...nextCursorProperty }),
        },
      },
    },
    async (request) => {
      const { account, cursor, limit = 100 } = request.query;
      await tenantAccount(request, account);
      let query = request.server.ctx.database.db
        .selectFrom("link_securities")
        .selectAll()
        .where("account_id", "=", account);
      const after = securityCursor.decode(cursor);
      if (after !== undefined)
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple("security_id_type", "security_id"), ">", tuple(after[0] as string, after[1] as string)),
        );
      const rows = await query
        .orderBy("security_id_type")
        .orderBy("security_id")
        .limit(limit + 1)
        .execute();
      const { page, nextCursor } = securityCursor.page(rows, limit, (s) => [
        s.security_id_type,
        s.security_id,
      ]);
      return success({
        securities: page.map((s) => ({
          accountId: s.account_id,
          securityId: s.security_id,
          securityIdType: s.security_id_type,
          name: s.name,
          ticker: s.ticker,
          type: s.type,
          updatedAt: iso(s.updated_at),
        })),
        nextCursor,
      });
    },
  );
};
