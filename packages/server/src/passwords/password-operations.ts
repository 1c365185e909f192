import type { DomainOperations } from "../openapi/operation-docs.ts";
import { authPolicyDocs } from "../policies/policy-operations.ts";
import { exampleUser } from "../users/user-operations.ts";

const signInErrors = [
  "InvalidPartnerUserLogin",
  "PartnerUserLoginDisabled",
  "PartnerUserLoginFailed",
  "MaximumLoginPartnerUserAttempsExceeded",
] as const;
const changed = ["PartnerUserChangedPassword", "PartnerUserPasswordChangedEmailFailed"] as const;
const formPage =
  "A form for people, opened from the e-mailed recovery link (HTML, no API key); no program calls it. Programs that build their own page use POST /v1/password-recovery/complete.";

/** Documentation of passwords/password-routes.ts and the recovery page. */
export const passwordOperations: DomainOperations = {
  tag: "passwords",
  operations: {
    "POST /v1/auth/password": {
      fields: {
        "body.username": "the user signing in (case-insensitive)",
        "body.password": "the password to check",
        ...authPolicyDocs.field,
      },
      summary: "Check a user's password",
      description:
        "Checks the password and returns the user. Every outcome costs one Argon2id computation, so timing tells nothing; a wrong password counts towards the account's lockout (each attempt is counted before it is checked), and a locked account is refused even with the right password. Not idempotent: every call is an attempt." +
        authPolicyDocs.description,
      errors: [
        ...signInErrors,
        "PartnerUserLoginFailedPasswordExpired",
        "RateLimited",
        ...authPolicyDocs.errors,
      ],
      outcomes: authPolicyDocs.outcomes,
      request: { username: "alice", password: "correct horse battery staple" },
      response: { user: exampleUser, policy: { outcomes: [] } },
    },
    "POST /v1/auth/password/change": {
      fields: {
        "body.username": "the user changing their own password",
        "body.currentPassword":
          "the password now in force; checked like a sign-in (a wrong one counts as a failure)",
        "body.newPassword": "the new password, 8–1,024 characters",
      },
      summary: "Change one's own password",
      description:
        "The user's own change: the current password is checked like a sign-in (a wrong one counts towards the lockout; an expired one is accepted here), then the new one is stored, every session of the user ends, any lock clears and the user is told by e-mail: PartnerUserChangedPassword, or PartnerUserPasswordChangedEmailFailed when the change stands but the e-mail failed. A repeat fails, as the current password has changed.",
      errors: [...signInErrors, "RateLimited"],
      outcomes: changed,
      request: {
        username: "alice",
        currentPassword: "correct horse battery staple",
        newPassword: "a new long passphrase",
      },
      response: {},
    },
    "POST /v1/users/:username/password": {
      fields: {
        "params.username": "the user whose password is set",
        "body.currentPassword":
          "the password now in force, checked like a sign-in; leave it out for an administrator's reset",
        "body.newPassword": "the new password, 8–1,024 characters",
      },
      summary: "Set or reset a user's password",
      description:
        "With `currentPassword`, the user's own change (checked like a sign-in); without it, an administrator's reset. Either way the new password is stored, every session of the user ends, any lock clears and the user is told by e-mail (PartnerUserChangedPassword, or PartnerUserPasswordChangedEmailFailed when the e-mail failed). A repeated reset sets the same password again and ends sessions again.",
      errors: signInErrors,
      outcomes: changed,
      request: { newPassword: "a new long passphrase" },
      response: {},
    },
    "POST /v1/password-recovery": {
      fields: {
        "body.username":
          "the user who forgot their password; every well-formed username gets the same answer",
      },
      summary: "Start a password recovery",
      description:
        "Answers every well-formed username alike, `{requestId, expiresAt}`, after the same work, so the answer does not tell whether the account exists. After the answer has left, an account that can recover gets an e-mail with a one-time link (a new request supersedes the previous one). Limited per username per hour (RateLimited with Retry-After) and by the per-source and per-tenant /v1/auth limits.",
      errors: ["InvalidPartnerUserLogin", "RateLimited"],
      request: { username: "alice" },
      response: { requestId: "r_4kQ9xW2mT7vB1nC5eG8hJ3", expiresAt: "2026-01-01T01:00:00.000Z" },
    },
    "GET /v1/password-recovery/:rid": {
      fields: { "params.rid": "the `requestId` of POST /v1/password-recovery" },
      summary: "Read what happened to a recovery",
      description:
        "For the tenant's back end: whether the e-mail is `queued`, `sent` or `failed` (a failed send is HTTP 200 with PartnerUserSendPasswordEmailFailed: the read worked), when the link expires and whether it was used. An unknown username's request id never matches (PartnerUserPasswordRecoveryTokenNotFound); poll a known one until it does. Reads only; safe to repeat.",
      errors: [
        "PartnerUserPasswordRecoveryInvalidorMissingRid",
        "PartnerUserPasswordRecoveryTokenNotFound",
        "PartnerUserForgetPasswordFailed",
        "RateLimited",
      ],
      outcomes: ["Success", "PartnerUserSendPasswordEmailFailed"],
      response: {
        requestId: "r_4kQ9xW2mT7vB1nC5eG8hJ3",
        mail: "sent",
        expiresAt: "2026-01-01T01:00:00.000Z",
        usedAt: null,
      },
    },
    "POST /v1/password-recovery/complete": {
      fields: {
        "body.rid": "the request id, the `rid` of the e-mailed link",
        "body.mid": "the message id, the `mid` of the e-mailed link (it travels only in the e-mail)",
        "body.newPassword": "the new password, 8–1,024 characters",
      },
      summary: "Complete a recovery with a new password",
      description:
        "Redeems the link's ids once (compare-and-set: of concurrent completions exactly one sets a password), stores the new password, ends the user's sessions, clears any lock and tells the user by e-mail. A repeat is PartnerUserPasswordRecoveryTokenNotFound.",
      errors: [
        "PartnerUserPasswordRecoveryInvalidorMissingRid",
        "PartnerUserPasswordRecoveryInvalidorMissingMid",
        "PartnerUserPasswordRecoveryTokenNotFound",
        "PartnerUserPasswordRecoveryExpiredToken",
        "RateLimited",
      ],
      outcomes: changed,
      request: {
        rid: "r_4kQ9xW2mT7vB1nC5eG8hJ3",
        mid: "m_8sD2fG5hJ9kL1zX4cV7bN0",
        newPassword: "a new long passphrase",
      },
      response: {},
    },
    "GET /password-recovery": { hidden: formPage },
    "POST /password-recovery": { hidden: formPage },
  },
};
