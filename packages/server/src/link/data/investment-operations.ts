import type { DomainOperations } from "../../openapi/operation-docs.ts";

const account = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const accountField = {
  "querystring.account": "the investment account (an account id of GET /v1/link/accounts, kind `investment`)",
};

/** Documentation of link/data/investment-routes.ts. */
export const investmentOperations: DomainOperations = {
  tag: "link",
  operations: {
    "GET /v1/link/positions": {
      fields: accountField,
      summary: "List an investment account's positions",
      description:
        "Lists the holdings of one of the tenant's investment accounts as of its last statement, in the broker's order, a page at a time: follow `nextCursor` until it is null. Each sync replaces the positions whole, so a security the broker no longer lists is gone. Units, prices and values are decimal text exactly as the broker wrote them. An account of another tenant is NotFound. Reads only; safe to repeat.",
      errors: ["NotFound"],
      response: {
        positions: [
          {
            accountId: account,
            securityId: "922908728",
            securityIdType: "CUSIP",
            heldIn: "CASH",
            positionType: "LONG",
            units: "25.110",
            unitPrice: "112.50",
            marketValue: "2824.88",
            priceAsOf: "2026-01-01",
            memo: null,
            updatedAt: "2026-01-02T00:00:00.000Z",
          },
        ],
        nextCursor: null,
      },
    },
    "GET /v1/link/investment-transactions": {
      fields: {
        ...accountField,
        "querystring.from": "only transactions traded on or after this day (YYYY-MM-DD, inclusive)",
        "querystring.to": "only transactions traded on or before this day (YYYY-MM-DD, inclusive)",
      },
      summary: "List an investment account's transactions",
      description:
        "Lists the buys, sells, income, reinvestments, transfers and cash movements (`action` buy, sell, income, reinvest, transfer, cash or other; `ofxType` the OFX aggregate) of one of the tenant's investment accounts, newest first, a page at a time. A re-sync updates a transaction in place (by the broker's id, `externalId`), never duplicates it. An account of another tenant is NotFound. Reads only; safe to repeat.",
      errors: ["NotFound"],
      response: {
        transactions: [
          {
            id: "t1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            accountId: account,
            externalId: "INV-0003-20260101-bought",
            action: "buy",
            ofxType: "BUYMF",
            subtype: "BUY",
            tradeDate: "2026-01-01",
            settleDate: null,
            securityId: "922908728",
            securityIdType: "CUSIP",
            units: "25.000",
            unitPrice: "110.20",
            total: "-2755.00",
            description: "Bought",
            updatedAt: "2026-01-02T00:00:00.000Z",
          },
        ],
        nextCursor: null,
      },
    },
    "GET /v1/link/securities": {
      fields: accountField,
      summary: "List the securities an investment account's statements name",
      description:
        "Lists the securities (the statement's SECLIST: id, id type, name, ticker, `type` mf, stock, debt, opt or other) of one of the tenant's investment accounts, by id type and id, a page at a time. An account of another tenant is NotFound. Reads only; safe to repeat.",
      errors: ["NotFound"],
      response: {
        securities: [
          {
            accountId: account,
            securityId: "922908728",
            securityIdType: "CUSIP",
            name: "Total Stock Market Index Fund",
            ticker: "VTSAX",
            type: "mf",
            updatedAt: "2026-01-02T00:00:00.000Z",
          },
        ],
        nextCursor: null,
      },
    },
  },
};
