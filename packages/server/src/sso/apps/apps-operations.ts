import type { DomainOperations } from "../../openapi/operation-docs.ts";
import { PAT_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "./app.ts";

const clientPath = { "params.clientId": "the app's client id" };
const app = {
  clientId: "kq3V9x1bYc8TzW2mRf5LhQ",
  name: "Acme back office",
  kind: "confidential",
  redirectUris: ["https://backoffice.acme.example/callback"],
  postLogoutRedirectUris: ["https://backoffice.acme.example/"],
  grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
  scopes: ["openid", "offline_access", "profile", "email"],
  secondFactors: ["totp"],
  requireSecondFactor: true,
  firstParty: true,
  offlineGraceHours: 72,
  webauthnOrigins: [],
  hasSecret: true,
  issuer: "https://id.acme.example/oidc/5d1f0a8e-3c2b-4e7a-9f61-0b2c4d6e8a10",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};
const clientSecret = "Vb0y7hF3kq9-2mXcT1sWzR8nLp4eJd6AaGuY5oKiQ0E";
const uriRule =
  "native apps: http://127.0.0.1[:port]/path or http://[::1][:port]/path (any port at use time, RFC 8252) or a private-use scheme with a dot (com.example.app:/callback); browser and confidential apps: https, or http on loopback (127.0.0.1, [::1], localhost). Exact strings as a URL parser writes them, no wildcard, no fragment, at most 10 of at most 2000 characters";
/** The body of POST and PATCH alike (PATCH: every property optional, the kind fixed). */
const bodyDocs = {
  "body.name": "the app's name as users see it (1 to 100 characters)",
  "body.redirectUris": `where the authorization code may be sent: ${uriRule}; at least one for authorization_code`,
  "body.postLogoutRedirectUris": `where a sign-out may return to; the same rules as redirectUris`,
  "body.grantTypes": `the grants the app may use ([authorization_code]): authorization_code; refresh_token (with authorization_code or the device grant); client_credentials (confidential apps only); urn:ietf:params:oauth:grant-type:device_code (native and confidential apps); ${PAT_GRANT_TYPE} (personal access tokens); ${TOKEN_EXCHANGE_GRANT_TYPE} (token exchange for the tenant's other apps; native and confidential apps)`,
  "body.scopes": "the scopes the app may ask for, of openid, offline_access, profile, email; openid always",
  "body.secondFactors":
    "the authenticator types accepted as the second factor at sign-in (totp, hotp); empty: any the user has",
  "body.requireSecondFactor": "every sign-in to this app needs a second factor (false)",
  "body.firstParty":
    "the tenant's own app: its users are not asked for consent (true); false for a third party's app",
  "body.offlineGraceHours":
    "hours, an integer from 0 to 720 (72), that a program of the app may keep working offline after the server last confirmed its sign-in: its ID tokens carry the end as tessera_offline_until (iat + hours × 3600); 0: never offline, no such claim",
  "body.webauthnOrigins":
    "origins (https://host[:port]; http only on localhost and loopback) of the app's pages whose WebAuthn ceremonies are accepted besides the tenant's webauthnOrigins when a ceremony names the app by clientId; each host must be the tenant's RP id or a subdomain of it (BogusFIDOAppId naming the entry otherwise); at most 10 ([])",
};
const access = "Another tenant's app is NotFound, exactly like an unknown client id.";

/** Documentation of sso/apps/app-routes.ts. */
export const appOperations: DomainOperations = {
  tag: "sso",
  operations: {
    "POST /v1/apps": {
      fields: {
        ...bodyDocs,
        "body.kind":
          "native (desktop and CLI programs) or browser (single-page apps), both public and proving themselves with PKCE S256; or confidential (servers), which also hold a secret. Fixed once registered",
      },
      summary: "Register an app",
      description:
        "Registers an OpenID Connect client of this tenant, with a random client id. A confidential app gets a 256-bit client secret, in this answer only (it is stored sealed and never shown again; rotate-secret makes a new one). Every problem of the body is named by field. A tenant has at most sso.maxAppsPerTenant apps (AppLimitReached), counted and inserted in one transaction. Each call registers another app unless an Idempotency-Key replays the first answer.",
      errors: ["AppLimitReached", "BogusFIDOAppId"],
      request: {
        name: app.name,
        kind: app.kind,
        redirectUris: app.redirectUris,
        postLogoutRedirectUris: app.postLogoutRedirectUris,
        grantTypes: app.grantTypes,
        scopes: app.scopes,
        secondFactors: app.secondFactors,
        requireSecondFactor: true,
      },
      response: { app, clientSecret },
    },
    "GET /v1/apps": {
      summary: "List apps",
      description: "Lists the tenant's apps by client id (never their secrets). Reads only; safe to repeat.",
      errors: [],
      response: { apps: [app], nextCursor: null },
    },
    "GET /v1/apps/:clientId": {
      fields: clientPath,
      summary: "Read an app",
      description: `Reads one app (never its secret). ${access} Reads only; safe to repeat.`,
      errors: ["NotFound"],
      response: { app },
    },
    "PATCH /v1/apps/:clientId": {
      fields: { ...clientPath, ...bodyDocs },
      summary: "Change an app",
      description: `Changes the given properties; the result is checked as a whole with the rules of registering one (removing the last redirect URI of an app that uses authorization_code is refused). ${access} Safe to repeat.`,
      errors: ["NotFound", "BogusFIDOAppId"],
      request: { name: "Acme back office (new)", requireSecondFactor: false },
      response: { app: { ...app, name: "Acme back office (new)", requireSecondFactor: false } },
    },
    "DELETE /v1/apps/:clientId": {
      fields: clientPath,
      summary: "Delete an app",
      description: `Deletes the app and revokes everything it was issued (authorization codes, access and refresh tokens, grants, device codes), in one transaction. ${access} A repeat is NotFound.`,
      errors: ["NotFound"],
      response: {},
    },
    "POST /v1/apps/:clientId/rotate-secret": {
      fields: clientPath,
      summary: "Rotate a confidential app's secret",
      description: `Makes a new client secret and answers it this once; the old one stops working at once. A public (native or browser) app has no secret: MalformedRequest. ${access} Each call makes another secret unless an Idempotency-Key replays the first answer (so a retry after a lost answer does not lose the secret).`,
      errors: ["NotFound"],
      response: { app, clientSecret },
    },
  },
};
