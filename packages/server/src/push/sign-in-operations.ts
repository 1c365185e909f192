import type { DomainOperations } from "../openapi/operation-docs.ts";

/** Documentation of push/sign-in-routes.ts: sign-in by push approval with number matching. */
export const signInPushOperations: DomainOperations = {
  tag: "authentication",
  operations: {
    "POST /v1/auth/push": {
      fields: {
        "body.username": "the user signing in; the request goes to their push device",
        "body.serial":
          "one of the user's enabled push devices; without it, the most recently enrolled one (CreateTransactionFailed when the user has none)",
        "body.context.app":
          "the client id of the tenant's app the person signs in to (NotFound for another); the phone shows the app's name",
        "body.context.location":
          "a location hint the phone shows (for example the city of the source address)",
        "body.context.reason": "why the push is sent, as the phone shows it",
      },
      summary: "Send a sign-in push with a number to match",
      description:
        "Sends an approval request to the user's push app and answers its id, reference, the two-digit `numberToMatch` (10–99, random) the sign-in screen must show, and when it expires (tenant setting pushRequestTtlSeconds, default 120 s). The app shows the app, account, source address, location and reason; the person types the number shown on the screen and approves, and the answer is signed by the device. Push-fatigue limits (ASVS 5 6.6.4), per user, in the database so they hold across processes: at most pushMaxPending waiting at once (default 1), pushMaxPerHour per hour (default 10), none for pushCooldownSeconds after a rejection (default 60): each is CreateTransactionFailed with Retry-After. A request the person rejected as fraud locks further pushes until an administrator clears it (DELETE /v1/users/{username}/push-lock): CreateTransactionFailed without Retry-After. Not idempotent: every call sends a push.",
      errors: [
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "CreateTransactionFailed",
        "NotFound",
      ],
      request: {
        username: "alice",
        context: { app: "payroll", location: "Lisbon, PT", reason: "Sign in to Payroll" },
      },
      response: {
        id: "0f5b7c7e-2d44-4f57-9b0e-3f8a1c2d4e6f",
        reference: "7QK2M9XH4T1B8C3D",
        numberToMatch: 47,
        expiresAt: "2026-01-01T00:02:00.000Z",
        serial: "PUSH0001A2B3",
      },
    },
    "GET /v1/auth/push/:id": {
      fields: { "params.id": "the id POST /v1/auth/push answered" },
      summary: "Read a sign-in push's state",
      description:
        "Answers `pending`, `approved`, `rejected` or `expired` (pending past its expiry), with the device's serial and the user. The id belongs to the tenant, not to one key or user: any of the tenant's `auth` keys may read it, and another tenant's id is NotFound like one that never existed. Poll it while the sign-in screen waits; a final state never changes. Reads only; safe to repeat.",
      errors: ["NotFound"],
      response: { status: "approved", serial: "PUSH0001A2B3", username: "alice" },
    },
    "GET /v1/users/:username/push-lock": {
      fields: { "params.username": "the user" },
      summary: "Read a user's push fraud lock",
      description:
        "Whether sign-in pushes to the user are locked because the person reported a push as fraud, which request, and when. Reads only; safe to repeat.",
      errors: ["InvalidPartnerUserLogin"],
      response: { locked: true, reference: "7QK2M9XH4T1B8C3D", reportedAt: "2026-01-01T00:01:10.000Z" },
    },
    "DELETE /v1/users/:username/push-lock": {
      fields: { "params.username": "the user" },
      summary: "Clear a user's push fraud lock",
      description:
        "Clears the lock a fraud report put on sign-in pushes to the user: reports made until now no longer count (a later one locks again). `cleared` says whether there was a lock. Repeating it leaves the same state.",
      errors: ["InvalidPartnerUserLogin"],
      response: { cleared: true },
    },
  },
};
