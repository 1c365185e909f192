import type { DomainOperations } from "../../openapi/operation-docs.ts";

const activationPage =
  "The account-activation page the invitation e-mail links to (HTML for people; the envelope for a client asking for JSON), documented in docs/sso.md.";

/** Documentation of sso/activation/: the invitation (API) and the activation page (hidden). */
export const activationOperations: DomainOperations = {
  tag: "users",
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
    "GET /oidc/:tenant/activate": { hidden: activationPage },
    "POST /oidc/:tenant/activate": { hidden: activationPage },
  },
};
