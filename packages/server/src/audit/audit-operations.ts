import type { DomainOperations } from "../openapi/operation-docs.ts";

/** Documentation of audit/audit-routes.ts. */
export const auditOperations: DomainOperations = {
  tag: "audit",
  operations: {
    "GET /v1/audit": {
      fields: {
        "querystring.operation":
          "only events of this operation, exactly as recorded: method and route (`POST /v1/auth/password`, `GET /v1/users/:username`)",
        "querystring.subject":
          "only events about this subject, exactly as recorded (`user:alice`, `authenticator:TOTP0001A2B3`, `credential:<id>`)",
        "querystring.actor":
          "only events by this caller, exactly as recorded (`apikey:<key id>`, `anonymous`)",
        "querystring.resultCode": "only events that answered this code (the catalog value, e.g. 9001)",
      },
      summary: "List the tenant's audit events",
      description:
        "Lists the calling tenant's audit events, newest first, filtered by time, operation, subject, actor and result code, a page at a time: follow `nextCursor` until it is null. Every API request is recorded before its response leaves. Reads only; safe to repeat.",
      errors: [],
      response: {
        events: [
          {
            seq: 42,
            at: "2026-01-01T00:00:00.000Z",
            actor: "apikey:k3x9q2m7w4t8v1z6",
            subject: "user:alice",
            sourceIp: "203.0.113.7",
            operation: "POST /v1/auth/password",
            resultCode: 0,
            durationMs: 38,
            requestId: "0b6f3c9e-2d4a-4f1b-8e7c-5a9d0b1c2e3f",
          },
        ],
        nextCursor: null,
      },
    },
  },
};
