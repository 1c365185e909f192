import type { DomainOperations } from "../openapi/operation-docs.ts";

const tenant = {
  id: "9b2f4c1e-7a3d-4e5f-8a6b-1c2d3e4f5a6b",
  name: "acme",
  disabled: false,
  expiresAt: null,
  allowedIpRanges: ["203.0.113.0/24"],
  allowedEmailDomains: ["acme.example"],
  passwordMaxFailures: 5,
  lockoutBaseSeconds: 60,
  passwordMaxAgeDays: null,
  otpMaxFailures: 5,
  otpLockoutSeconds: 60,
  createdAt: "2026-01-01T00:00:00.000Z",
  maxConsecutiveFailures: 100,
  activationCodes: 1,
  ssoSecondFactor: "required",
  ssoSelfEnrolment: false,
  challengeCodeTtlSeconds: 600,
  challengeCountries: ["GB", "IE"],
  pushRequestTtlSeconds: 120,
  pushMaxPending: 1,
  pushMaxPerHour: 10,
  pushCooldownSeconds: 60,
  webauthnRpId: "acme.example",
  webauthnRpName: "Acme",
  webauthnOrigins: ["https://login.acme.example"],
  webauthnUserVerification: "preferred",
  webauthnAttestation: "none",
  webauthnAaguids: [],
  webauthnU2fAppId: null,
  radiusReplyAttributes: [
    { name: "Vendor-Specific", vendorId: 9, vendorType: 1, value: "shell:priv-lvl=15" },
  ],
};
const key = {
  id: "k3x9q2m7w4t8v1z6",
  name: "login page",
  scopes: ["auth"],
  createdAt: "2026-01-01T00:00:00.000Z",
  revokedAt: null,
  lastUsedAt: null,
};

/** Documentation of tenants/tenant-routes.ts: the calling tenant's settings and API keys. */
export const tenantOperations: DomainOperations = {
  tag: "tenant",
  operations: {
    "GET /v1/tenant": {
      summary: "Read the calling tenant's settings",
      description:
        "Returns the tenant the API key belongs to, with its lockout, password-age, address and token-activation settings. Reads only; safe to repeat.",
      errors: [],
      response: { tenant },
    },
    "PATCH /v1/tenant": {
      fields: {
        "body.allowedIpRanges":
          "IP addresses or CIDR ranges (IPv4 or IPv6) API calls may come from; replaces the list; an empty list allows every address",
        "body.allowedEmailDomains":
          "domains users' e-mail addresses must be in (PartnerUserLoginFailedInvalidDomain otherwise); replaces the list; empty allows any",
        "body.passwordMaxFailures":
          "wrong passwords in a row that lock the account for `lockoutBaseSeconds` (default 5)",
        "body.lockoutBaseSeconds":
          "length of the first password lock; each further lock doubles it, up to 1,024 times (default 60)",
        "body.passwordMaxAgeDays":
          "days after which a right password is refused as expired (PartnerUserLoginFailedPasswordExpired); null: passwords never expire (the default)",
        "body.otpMaxFailures":
          "wrong one-time codes in a row that lock a token for `otpLockoutSeconds` (default 5)",
        "body.otpLockoutSeconds": "length of a token lock after `otpMaxFailures` wrong codes (default 60)",
        "body.maxConsecutiveFailures":
          "wrong passwords in a row, over all locks until a success, after which the account stays locked until an administrator unlocks it (default and maximum 100, per NIST SP 800-63B)",
        "body.activationCodes":
          "codes a new token must show to be activated: 1 (the default, one valid code) or 2 (two consecutive codes, searched in the resynchronisation window)",
        "body.ssoSecondFactor":
          "SSO sign-in pages and RADIUS: `required` (the default: every user proves a second factor; over RADIUS a user without one is refused) or `optional` (only users who have one, or apps that require one; over RADIUS a user without one signs in with the password)",
        "body.ssoSelfEnrolment":
          "SSO sign-in pages: a user without a usable second factor may enrol a TOTP token there, by QR code (default false: a stolen password must not be enough to enrol one)",
        "body.challengeCodeTtlSeconds":
          "seconds a code sent by SMS, voice or e-mail (POST /v1/auth/challenge, device verification) stays valid, 60–3600 (default 600); an older code is SendOTPExpired",
        "body.challengeCountries":
          "countries, as ISO 3166-1 alpha-2 codes (GB, US, …), whose phone numbers codes may be sent to by SMS or voice; replaces the list. Empty (the default): no phone destination is allowed, so a phone device can be neither bound (InvalidDeviceConfig) nor sent a code (SendOTPInvalidDeliveryMethod) until an administrator lists its country. Numbers of no country (+800, +88x) are never allowed; e-mail is not limited by country",
        "body.pushRequestTtlSeconds":
          "seconds a sign-in push (POST /v1/auth/push) waits for the app's answer before it expires (10–600, default 120)",
        "body.pushMaxPending":
          "sign-in pushes of one user that may wait for an answer at once; one more is CreateTransactionFailed with Retry-After (1–10, default 1)",
        "body.pushMaxPerHour":
          "sign-in pushes one user may be sent in any hour (1–1000, default 10): push-fatigue limit, ASVS 6.6.4",
        "body.pushCooldownSeconds":
          "seconds after a rejected sign-in push before the user may be sent another (0–86400, default 60)",
        "body.webauthnRpId":
          "the WebAuthn relying party id: a lower-case domain (no scheme, port, path or IP address; localhost allowed) that is the host of every origin in webauthnOrigins or a parent of it. Changing it makes the keys registered under the old one unusable. null (the default): the host of publicUrl. BogusFIDOAppId when malformed or when it does not fit the origins, publicUrl's origin (with no origins listed) or an app's webauthnOrigins",
        "body.webauthnRpName":
          "the name authenticators show when a key is registered (1–100 characters); null: the tenant's name",
        "body.webauthnOrigins":
          "origins (https://host[:port], exactly as browsers send them; http only for localhost and loopback) WebAuthn ceremonies may come from, each on the RP id or a subdomain of it (BogusFIDOAppId naming the entry otherwise); replaces the list; at most 20. Empty (the default): publicUrl's origin",
        "body.webauthnUserVerification":
          "user verification (a PIN or biometric on the key) asked for: required (a response without it is NoUserPresence), preferred (the default) or discouraged",
        "body.webauthnAttestation":
          "which attestation a new key needs: none (the default: not asked), any (a verified one), allow-list (an AAGUID of webauthnAaguids, not revoked in the imported FIDO metadata)",
        "body.webauthnAaguids":
          "AAGUIDs (lower-case UUIDs) the allow-list policy accepts; replaces the list; at most 500",
        "body.webauthnU2fAppId":
          "the AppID (an https URL) legacy U2F keys were registered under, for the appid extension; null: none",
        "body.radiusReplyAttributes":
          'attributes every RADIUS Access-Accept of the tenant carries (at most 32, 2048 bytes encoded), replacing the list: `{name, value}` with a name of the RADIUS dictionary (Class, Session-Timeout, Filter-Id, Service-Type with a value name such as Framed-User, …), or `{name: "Vendor-Specific", vendorId, vendorType, value}`. An unknown name, a value of the wrong type, or an attribute the listener sets (State, Reply-Message, Message-Authenticator, passwords) is MalformedRequest naming the field. Default: none (docs/radius.md)',
      },
      summary: "Change the calling tenant's settings",
      description:
        "Changes the fields given (allowed IP ranges, allowed e-mail domains, password and one-time-code lockout limits, password age, the number of codes that activate a new token) and returns the tenant. Narrowing `allowedIpRanges` takes effect at the next request, including for the caller. Applying the same change twice leaves the same state.",
      errors: ["BogusFIDOAppId"],
      request: { allowedIpRanges: ["203.0.113.0/24"], passwordMaxFailures: 5 },
      response: { tenant },
    },
    "POST /v1/api-keys": {
      fields: {
        "body.name": "a label for people, shown in key listings (1–100 characters)",
        "body.scopes":
          'what the key may call: `auth`, `users`, `tokens`, `audit`, `link`, `admin` (admin implies every scope); `["auth"]` when absent',
      },
      summary: "Create an API key",
      description:
        "Creates a new API key for the tenant with the given scopes (`auth` when none are given) and returns it once: only its SHA-256 is stored. Only an `admin` key manages keys, so a narrower key cannot mint a wider one.",
      errors: [],
      request: { name: "login page", scopes: ["auth"] },
      response: { apiKey: "tsk_k3x9q2m7w4t8v1z6_Jx2vQm8rT5yW1nB4cE7gH0kL3oP6sU9xA2dF5hJ8mN1", key },
    },
    "GET /v1/api-keys": {
      summary: "List the tenant's API keys",
      description:
        "Lists the tenant's API keys (never the keys themselves) with their scopes, creation, revocation and last use. Reads only; safe to repeat.",
      errors: [],
      response: { apiKeys: [key], nextCursor: null },
    },
    "DELETE /v1/api-keys/:id": {
      fields: { "params.id": "the key's id, as listed by GET /v1/api-keys (the 16 characters after `tsk_`)" },
      summary: "Revoke an API key",
      description:
        "Revokes the key at once: the next request with it is 401 PartnerLoginFailed. Revoking a key that is already revoked, or unknown, is 404 NotFound, so a repeat tells that the first call worked.",
      errors: ["NotFound"],
      response: {},
    },
  },
};
