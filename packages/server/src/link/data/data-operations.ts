import type { DomainOperations } from "../../openapi/operation-docs.ts";

/** Documentation of link/data/data-routes.ts. */
export const dataOperations: DomainOperations = {
  tag: "link",
  operations: {
    "GET /v1/link/accounts": {
      fields: {
        "querystring.credential": "only accounts found through this credential (a credential id)",
        "querystring.user": "only this Tessera user's accounts (a username)",
      },
      summary: "List synced accounts",
      description:
        "Lists the accounts the tenant's sync jobs found, filtered by credential or user, with balances as of the last sync. A credential that is not the tenant's (unknown, deleted, or another tenant's) is NotFound, not an empty page. Reads only; safe to repeat.",
      errors: ["NotFound"],
      response: {
        accounts: [
          {
            id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            credentialId: "3f8a2c6e-1b4d-4e7a-9c0b-2d5e8f1a4b7c",
            externalId: "CHK-0001",
            name: "Everyday Checking",
            kind: "checking",
            currency: "USD",
            balance: "1234.56",
            numberMask: "••••0001",
            updatedAt: "2026-01-01T00:00:00.000Z",
          },
        ],
        nextCursor: null,
      },
    },
    "GET /v1/link/transactions": {
      fields: {
        "querystring.account":
          "the account whose transactions are listed (an account id of GET /v1/link/accounts)",
        "querystring.from": "only transactions booked on or after this day (YYYY-MM-DD, inclusive)",
        "querystring.to": "only transactions booked on or before this day (YYYY-MM-DD, inclusive)",
      },
      summary: "List an account's transactions",
      description:
        "Lists the transactions of one of the tenant's accounts, newest first, optionally between two days, a page at a time: follow `nextCursor` until it is null. An account of another tenant is NotFound. Reads only; safe to repeat.",
      errors: ["NotFound"],
      response: {
        transactions: [
          {
            id: "t1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            accountId: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            externalId: "TX-20260101-1",
            date: "2026-01-01",
            amount: "-42.00",
            description: "Coffee roasters",
            memo: null,
            kind: "debit",
            updatedAt: "2026-01-01T00:00:00.000Z",
          },
        ],
        nextCursor: null,
      },
    },
  },
};
