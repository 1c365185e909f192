import { time, timestamp } from "../app/route-schemas.ts";

export const tenantSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    disabled: { type: "boolean" },
    expiresAt: timestamp,
    allowedIpRanges: { type: "array", items: { type: "string" } },
    allowedEmailDomains: { type: "array", items: { type: "string" } },
    passwordMaxFailures: { type: "integer" },
    lockoutBaseSeconds: { type: "integer" },
    passwordMaxAgeDays: { type: ["integer", "null"] },
    otpMaxFailures: { type: "integer" },
    otpLockoutSeconds: { type: "integer" },
    createdAt: time,
    maxConsecutiveFailures: { type: "integer" },
    activationCodes: { type: "integer", description: "codes that activate a new token: 1 or 2 consecutive" },
    ssoSecondFactor: {
      type: "string",
      enum: ["required", "optional"],
      description:
        "SSO sign-in: every user proves a second factor (required) or only those who have one (optional)",
    },
    ssoSelfEnrolment: {
      type: "boolean",
      description: "SSO sign-in: a user without a second factor may enrol a TOTP token on the sign-in page",
    },
    challengeCodeTtlSeconds: {
      type: "integer",
      description: "seconds a code sent by SMS, voice or e-mail stays valid",
    },
    challengeCountries: {
      type: "array",
      items: { type: "string" },
      description: "countries (ISO 3166-1 alpha-2) codes may be sent to by SMS or voice; empty: none",
    },
    pushRequestTtlSeconds: { type: "integer", description: "seconds a sign-in push waits for its answer" },
    pushMaxPending: { type: "integer", description: "sign-in pushes of one user pending at once" },
    pushMaxPerHour: { type: "integer", description: "sign-in pushes one user may be sent per hour" },
    pushCooldownSeconds: {
      type: "integer",
      description: "seconds after a rejected sign-in push before the user may be sent another",
    },
    webauthnRpId: {
      type: ["string", "null"],
      description: "WebAuthn relying party id (a domain); null: the host of publicUrl",
    },
    webauthnRpName: {
      type: ["string", "null"],
      description: "the name authenticators show; null: the tenant's name",
    },
    webauthnOrigins: {
      type: "array",
      items: { type: "string" },
      description: "origins WebAuthn ceremonies may come from; empty: publicUrl's origin",
    },
    webauthnUserVerification: {
      type: "string",
      enum: ["required", "preferred", "discouraged"],
      description: "user verification (PIN or biometric) asked of security keys",
    },
    webauthnAttestation: {
      type: "string",
      enum: ["none", "any", "allow-list"],
      description: "which attestations a new key needs",
    },
    webauthnAaguids: {
      type: "array",
      items: { type: "string" },
      description: "AAGUIDs the allow-list attestation policy accepts",
    },
    webauthnU2fAppId: {
      type: ["string", "null"],
      description: "the AppID legacy U2F keys were registered under (the appid extension), if any",
    },
    radiusReplyAttributes: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: { type: "string" },
          value: { type: ["string", "integer"] },
          vendorId: { type: "integer" },
          vendorType: { type: "integer" },
        },
      },
      description: "attributes every RADIUS Access-Accept of the tenant carries (docs/radius.md)",
    },
  },
} as const;

export const apiKeySchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    scopes: { type: "array", items: { type: "string" } },
    createdAt: time,
    revokedAt: timestamp,
    lastUsedAt: timestamp,
  },
} as const;
