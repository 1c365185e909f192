import type { DomainOperations } from "../../openapi/operation-docs.ts";

const webhookPath = { "params.id": "the webhook's id" };

const webhook = {
  id: "e4d3c2b1-a0f9-4e8d-7c6b-5a4f3e2d1c0b",
  url: "https://hooks.acme.example/tessera",
  events: ["job.status"],
  createdAt: "2026-01-01T00:00:00.000Z",
};
const byPath = ["NotFound"] as const;

/** Documentation of link/webhooks/webhook-routes.ts. */
export const webhookOperations: DomainOperations = {
  tag: "link",
  operations: {
    "POST /v1/link/webhooks": {
      fields: {
        "body.url":
          "the http or https URL events are POSTed to; it must resolve to a public address (WebhookAddressNotAllowed otherwise)",
        "body.events":
          "the event types to deliver: `job.status`, `credential.created`, `credential.deleted`, or `*` for all (the default)",
      },
      summary: "Register a webhook",
      description:
        "Registers an HTTP(S) address for signed event deliveries and returns its signing secret once. Addresses that resolve to private, loopback or link-local networks are refused (WebhookAddressNotAllowed); the number per tenant is capped (WebhookLimitReached), checked and inserted in one transaction. Each call registers another webhook unless an Idempotency-Key replays the first answer.",
      errors: ["WebhookAddressNotAllowed", "WebhookLimitReached"],
      request: { url: "https://hooks.acme.example/tessera", events: ["job.status"] },
      response: { webhook, secret: "whsec_Jx2vQm8rT5yW1nB4cE7gH0kL3oP6sU9x" },
    },
    "GET /v1/link/webhooks": {
      summary: "List webhooks",
      description: "Lists the tenant's webhooks (never their secrets). Reads only; safe to repeat.",
      errors: [],
      response: { webhooks: [webhook], nextCursor: null },
    },
    "DELETE /v1/link/webhooks/:id": {
      fields: webhookPath,
      summary: "Delete a webhook",
      description: "Deletes the webhook; deliveries not yet made are dropped. A repeat is NotFound.",
      errors: [...byPath],
      response: {},
    },
    "GET /v1/link/webhooks/:id/deliveries": {
      fields: webhookPath,
      summary: "List a webhook's deliveries",
      description:
        "Lists the webhook's deliveries, newest first, with their state, attempts, last HTTP status or error and next attempt. Reads only; safe to repeat.",
      errors: [...byPath],
      response: {
        deliveries: [
          {
            id: "d0c1b2a3-9f8e-4d7c-6b5a-4f3e2d1c0b9a",
            eventType: "job.status",
            state: "delivered",
            attempts: 1,
            lastStatus: 200,
            lastError: null,
            nextAttemptAt: null,
            createdAt: "2026-01-01T00:00:00.000Z",
            deliveredAt: "2026-01-01T00:00:01.000Z",
            payload: { type: "job.status", jobId: "7c1e9a3b-5d2f-4b6a-8c0e-1f2a3b4c5d6e", code: 200 },
          },
        ],
        nextCursor: null,
      },
    },
  },
};
