import type { DomainOperations } from "../openapi/operation-docs.ts";

const sessionTokenPath = { "params.token": "the `sessionToken` POST /v1/sessions returned (`tss_…`)" };

const token = "tss_Qm9vZ2xlIHNob3VsZCBub3QgYmUgaGVyZSBhdCBhbGwhIQ";
const session = {
  username: "alice",
  type: "web",
  createdAt: "2026-01-01T00:00:00.000Z",
  expiresAt: "2026-01-01T01:00:00.000Z",
};

/** Documentation of sessions/session-routes.ts. */
export const sessionOperations: DomainOperations = {
  tag: "sessions",
  operations: {
    "POST /v1/sessions": {
      fields: {
        "body.username": "the user the session is for; must be able to sign in (not disabled or expired)",
        "body.durationMinutes": "how long the session lives, 1–43,200 minutes (30 days)",
        "body.type":
          "your own label for the kind of session (`web`, `mobile`, …): a lower-case letter, then up to 31 of `a-z 0-9 _ -`; returned when the session is checked, never interpreted by Tessera",
      },
      summary: "Create a session token",
      description:
        "Creates a server-side session for a user the back end has authenticated and returns a `tss_` token (256 random bits, stored as SHA-256) valid for `durationMinutes`. A user who cannot sign in (disabled, expired) gets SessionTokenCreationFailed. Each call creates a new session unless an Idempotency-Key replays the first answer.",
      errors: ["InvalidPartnerUserLogin", "SessionTokenCreationFailed"],
      request: { username: "alice", durationMinutes: 60, type: "web" },
      response: { sessionToken: token, expiresAt: "2026-01-01T01:00:00.000Z", type: "web" },
    },
    "GET /v1/sessions/:token": {
      fields: sessionTokenPath,
      summary: "Check a session token",
      description:
        "Returns the session while it is live; an unknown, expired or revoked token, or one whose user is disabled or expired, is SessionTokenInvalid. The request log redacts the token. Reads only; safe to repeat.",
      errors: ["SessionTokenInvalid"],
      response: { session },
    },
    "DELETE /v1/sessions/:token": {
      fields: sessionTokenPath,
      summary: "End a session",
      description:
        "Expires the session at once. Ending one that is unknown or already over is SessionTokenDeleteFailed, so a repeat tells that the first call worked.",
      errors: ["SessionTokenDeleteFailed"],
      response: {},
    },
  },
};
