import type { DomainOperations } from "../../openapi/operation-docs.ts";

/**
 * The activation page is documented (not hidden) because a client asking for JSON gets the
 * envelope from it, as from the provisioning link; a browser gets the page with the same codes.
 */
const linkErrors = [
  "MalformedRequest",
  "SSOAccountActivationIdNotSpecified",
  "SSOAccountActivationIdInvalid",
  "SSOActivationAccountAssignedToDifferentPartner",
  "SSOActivationAccountDisabled",
  "SSOAccountActivationAccountAlreadyProvisioned",
  "DatabaseError",
] as const;
const pageFields = {
  "params.tenant": "the tenant id of the issuer the link names",
  "querystring.id": "the activation id the e-mailed link carries",
  "querystring.ui_locales": "preferred languages, space-separated (en, de, es); else Accept-Language",
};
const formFields = {
  "params.tenant": "the tenant id of the issuer the link names",
  "body.id": "the activation id the e-mailed link carries",
  "body.step": "the step this post takes: password, then totp",
  "body.password": "password step: the new password, 8–1,024 characters",
  "body.confirm": "password step: the same password again",
  "body.otp": "totp step: the current code of the authenticator app",
  "body.ui_locales": "preferred languages, space-separated (en, de, es); else Accept-Language",
};

/** Documentation of sso/activation/: the invitation (API) and the activation page (hidden). */
export const activationOperations: DomainOperations = {
  tag: "account activation",
  operations: {
    "POST /v1/users/:username/invitation": {
      fields: {
        "params.username": "the user's username (case-insensitive)",
        "body.apps": "client ids of this tenant's apps to assign to the user when the activation completes",
      },
      summary: "Invite a user to activate the account",
      description:
        "E-mails the user a link to <publicUrl>/oidc/<tenant id>/activate?id=…, where the user chooses a password, sets up an authenticator app by QR code and sees the apps assigned. The answer never carries the activation id: only the e-mail does. The link expires after `activation.ttlHours` and works once; inviting again replaces an open invitation (its link stops working). The invitation exists only if the e-mail went out (EnrollUserSendNotoficationFailed otherwise). A user who already has a password is SSOAccountActivationAccountAlreadyProvisioned, a disabled or expired one SSOActivationAccountDisabled.",
      errors: [
        "InvalidPartnerUserLogin",
        "MalformedRequest",
        "NotFound",
        "SSOActivationAccountDisabled",
        "SSOAccountActivationAccountAlreadyProvisioned",
        "EnrollUserSendNotoficationFailed",
      ],
      request: { apps: ["back-office"] },
      response: {
        invitation: { username: "alice", apps: ["back-office"], expiresAt: "2026-01-04T00:00:00.000Z" },
      },
    },
    "GET /oidc/:tenant/activate": {
      fields: pageFields,
      summary: "Open an account-activation link",
      description:
        "Shows the activation's current step and changes nothing (mail scanners open every link): a browser gets the page (the password form, or the authenticator app's QR code and key), a client asking for JSON gets `{step, secret, provisioningUri, apps}`, `secret` and `provisioningUri` set at the totp step and null otherwise. No API key: the link itself is the credential. The checks run in the documented order (docs/sso.md), so nothing about an account is told without a valid id. Safe to repeat.",
      errors: [...linkErrors],
      public: true,
      response: { step: "password", secret: null, provisioningUri: null, apps: null },
    },
    "POST /oidc/:tenant/activate": {
      fields: formFields,
      summary: "Take one step of an account activation",
      description:
        "`step: password` sets the first password and moves to the totp step; `step: totp` confirms the enrolled token with its first code (the token's attempt limit applies), ends the activation, assigns its apps and answers SSOAccountProvisionApps with the apps. A step that is not the current one is MalformedRequest (`body.step`) and changes nothing; each step is a compare-and-set, so of concurrent posts one takes it. No API key: the activation id is the credential.",
      errors: [
        ...linkErrors,
        "BogusOTP",
        "OTPInvalid",
        "OTPAlreadyUsed",
        "TimeDriftInvalid",
        "MaximumFailedOTPRequestsExceeded",
        "DeviceAlreadyProvisioned",
        "PayloadTooLarge",
        "UnsupportedMediaType",
      ],
      outcomes: ["SSOAccountProvisionApps"],
      public: true,
      request: { id: "Vf3k…43 characters…", step: "totp", otp: "123456" },
      response: {
        step: "done",
        secret: null,
        provisioningUri: null,
        apps: [{ clientId: "back-office", name: "Back office" }],
      },
    },
  },
};
