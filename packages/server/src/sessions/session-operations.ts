import type { DomainOperations } from "../openapi/operation-docs.ts";

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
      summary: "Create a session token",
      description:
        "Creates a server-side session for a user the back end has authenticated and returns a `tss_` token (256 random bits, stored as SHA-256) valid for `durationMinutes`. A user who cannot sign in (disabled, expired) gets SessionTokenCreationFailed. Each call creates a new session unless an Idempotency-Key replays the first answer.",
      errors: ["InvalidPartnerUserLogin", "SessionTokenCreationFailed"],
      request: { username: "alice", durationMinutes: 60, type: "web" },
      response: { sessionToken: token, expiresAt: "2026-01-01T01:00:00.000Z", type: "web" },
    },
    "GET /v1/sessions/:token": {
      summary: "Check a session token",
      description:
        "Returns the session while it is live; an unknown, expired or revoked token, or one whose user is disabled or expired, is SessionTokenInvalid. The request log redacts the token. Reads only; safe to repeat.",
      errors: ["SessionTokenInvalid"],
      response: { session },
    },
    "DELETE /v1/sessions/:token": {
      summary: "End a session",
      description:
        "Expires the session at once. Ending one that is unknown or already over is SessionTokenDeleteFailed, so a repeat tells that the first call worked.",
      errors: ["SessionTokenDeleteFailed"],
      response: {},
    },
  },
};
