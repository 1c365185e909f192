import type { DomainOperations } from "../../openapi/operation-docs.ts";

const username = { "params.username": "the user the tokens belong to" };
const pat = {
  id: "5f0c6c1e2b7a4c559d1e0d6f5b0e2a11",
  clientId: "cli-tool",
  name: "build server",
  state: "live",
  createdAt: "2026-01-01T00:00:00.000Z",
  expiresAt: "2026-03-02T00:00:00.000Z",
  revokedAt: null,
  lastUsedAt: null,
};

const page =
  "The self-service page for people signed in to the tenant's issuer (HTML, no API key; sso/tokens/pat-page.ts); programs use the /v1 operations instead.";

/** Documentation of sso/tokens/pat-routes.ts and the page of sso/tokens/pat-page.ts. */
export const patOperations: DomainOperations = {
  tag: "personal access tokens",
  operations: {
    "POST /v1/users/:username/personal-access-tokens": {
      fields: {
        ...username,
        "body.clientId":
          "the app the token is for; it is exchanged at that app's token endpoint only, and the app must allow the grant type `urn:tessera:params:oauth:grant-type:personal-access-token`",
        "body.name": "the user's own label for the token (where it is used), up to 100 printable characters",
        "body.expiresInDays":
          "whole days until the token stops working, 1 to personalAccessTokens.maxDays (365 by default)",
      },
      summary: "Create a personal access token",
      description:
        "Creates a `tpat_` token (256 random bits, stored as SHA-256) for the user and one app, and returns it: this is the only time it can be read. A program exchanges it at the tenant's token endpoint (`grant_type=urn:tessera:params:oauth:grant-type:personal-access-token`, `personal_access_token=<token>`) for an access token for the user. A user who cannot sign in (PartnerUserLoginDisabled, AccountExpired) gets none; an app that requires a second factor does (the back end's key is trusted to act for the user; the create is audited under it), unlike on the self-service page; an unknown app, or another tenant's, is NotFound; a user holding personalAccessTokens.maxPerUser live tokens gets PersonalAccessTokenLimitReached. Each call creates another token unless an Idempotency-Key replays the first answer.",
      errors: [
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "NotFound",
        "PersonalAccessTokenLimitReached",
      ],
      request: { clientId: "cli-tool", name: "build server", expiresInDays: 60 },
      response: { token: "tpat_Qm9vZ2xlIHNob3VsZCBub3QgYmUgaGVyZSBhdCBhbGwhIQ", personalAccessToken: pat },
    },
    "GET /v1/users/:username/personal-access-tokens": {
      fields: username,
      summary: "List a user's personal access tokens",
      description:
        "The user's tokens, newest first, live, expired and revoked alike (`state`), with when each was last exchanged; never the token itself. Reads only; safe to repeat.",
      errors: ["InvalidPartnerUserLogin"],
      response: { personalAccessTokens: [pat], nextCursor: null },
    },
    "DELETE /v1/users/:username/personal-access-tokens/:id": {
      fields: { ...username, "params.id": "the token's `id` (from the create or the list)" },
      summary: "Revoke a personal access token",
      description:
        "Revokes the token at once: exchanging it is PartnerUserLoginFailedInvalidToken from now on, and the access tokens it was already exchanged for stop working too (userinfo refuses them, introspection answers `active: false`). Revoking it again answers the same, keeping the first `revokedAt`. An id the user does not have (another user's, another tenant's, unknown) is NotFound.",
      errors: ["InvalidPartnerUserLogin", "NotFound"],
      response: { personalAccessToken: { ...pat, state: "revoked", revokedAt: "2026-01-15T00:00:00.000Z" } },
    },
    "GET /oidc/:tenant/account/tokens": { hidden: page },
    "POST /oidc/:tenant/account/tokens": { hidden: page },
    "POST /oidc/:tenant/account/tokens/:id/revoke": { hidden: page },
    "GET /oidc/:tenant/account/signed-in": { hidden: page },
  },
};
