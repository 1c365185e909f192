import type { DomainOperations } from "../openapi/operation-docs.ts";
import { authPolicyDocs } from "../policies/policy-operations.ts";
import { exampleUser } from "../users/user-operations.ts";

/** Documentation of authenticators/otp-routes.ts: validating one-time codes. */
export const otpOperations: DomainOperations = {
  tag: "authentication",
  operations: {
    "POST /v1/auth/otp": {
      fields: {
        "body.username":
          "the user signing in: the code is checked against each of their tokens, or against `serial` only when both are given",
        "body.serial":
          "the token the code comes from; give it or `username` (DeviceNotSpecified when neither)",
        "body.otp": "the one-time code the token shows, digits only",
        "body.challengeId":
          "the id POST /v1/auth/challenge answered, for a code sent by SMS, voice or e-mail: the code is checked against that sent code only (with `username`, without `serial`)",
        ...authPolicyDocs.field,
      },
      summary: "Validate a one-time code",
      description:
        "Checks a code against the named token (`serial`), or all of the user's tokens (`username`), or the named token of that user. An accepted code is recorded as used in the same statement, so a replay (even a concurrent one) is OTPAlreadyUsed; wrong codes count towards the token's lockout, drifted and replayed ones do not. Not idempotent: every call is an attempt." +
        authPolicyDocs.description,
      errors: [
        ...authPolicyDocs.errors,
        "DeviceNotSpecified",
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "SerialNumberNotSpecified",
        "BogusSerialNumber",
        "DeviceNotFound",
        "DeviceInvalid",
        "DeviceDiabled",
        "BogusOTP",
        "NoDevicesDefined",
        "MaximumCardUsesExceeded",
        "MaximumFailedOTPRequestsExceeded",
        "UpdateDeviceCounterFailed",
        "OTPAlreadyUsed",
        "TimeDriftInvalid",
        "OTPInvalid",
        "SendOTPExpired",
        "RateLimited",
      ],
      request: { username: "alice", otp: "755224" },
      outcomes: authPolicyDocs.outcomes,
      response: { serial: "TOTP0001A2B3", username: "alice", policy: { outcomes: [] } },
    },
    "POST /v1/auth/login": {
      fields: {
        "body.username": "the user signing in",
        "body.password": "the user's password, checked first",
        "body.otp":
          "a one-time code from one of the user's tokens; required when the user has an enabled, activated token (PartnerUserLoginAttepmtedOTPByPass without it)",
        "body.challengeId":
          "for a code sent by SMS, voice or e-mail: the id POST /v1/auth/challenge answered; required when the user's only second factors are such devices",
        ...authPolicyDocs.field,
      },
      summary: "Sign in with password and one-time code",
      description:
        "Checks the password as POST /v1/auth/password does, then, when the user has an enabled and activated token, the code against those tokens. Any refusal of the code is one answer, PartnerUserLoginFailedInvalidOTP, so a login page cannot probe a token's state; lock states keep their own code. Not idempotent: every call is an attempt." +
        authPolicyDocs.description,
      errors: [
        ...authPolicyDocs.errors,
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "PartnerUserLoginFailed",
        "MaximumLoginPartnerUserAttempsExceeded",
        "PartnerUserLoginFailedPasswordExpired",
        "PartnerUserLoginAttepmtedOTPByPass",
        "PartnerUserLoginFailedInvalidOTP",
        "MaximumFailedOTPRequestsExceeded",
        "UpdateDeviceCounterFailed",
        "SendOTPExpired",
        "RateLimited",
      ],
      outcomes: authPolicyDocs.outcomes,
      request: { username: "alice", password: "correct horse battery staple", otp: "755224" },
      response: { user: exampleUser, policy: { outcomes: [] } },
    },
  },
};
