import type { DomainOperations } from "../openapi/operation-docs.ts";
import { exampleUser } from "../users/user-operations.ts";

/** Documentation of authenticators/otp-routes.ts: validating one-time codes. */
export const otpOperations: DomainOperations = {
  tag: "authentication",
  operations: {
    "POST /v1/auth/otp": {
      summary: "Validate a one-time code",
      description:
        "Checks a code against the named token (`serial`), or all of the user's tokens (`username`), or the named token of that user. An accepted code is recorded as used in the same statement, so a replay (even a concurrent one) is OTPAlreadyUsed; wrong codes count towards the token's lockout, drifted and replayed ones do not. Not idempotent: every call is an attempt.",
      errors: [
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
        "RateLimited",
      ],
      request: { username: "alice", otp: "755224" },
      response: { serial: "TOTP0001A2B3", username: "alice" },
    },
    "POST /v1/auth/login": {
      summary: "Sign in with password and one-time code",
      description:
        "Checks the password as POST /v1/auth/password does, then, when the user has an enabled and activated token, the code against those tokens. Any refusal of the code is one answer, PartnerUserLoginFailedInvalidOTP, so a login page cannot probe a token's state; lock states keep their own code. Not idempotent: every call is an attempt.",
      errors: [
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "PartnerUserLoginFailed",
        "MaximumLoginPartnerUserAttempsExceeded",
        "PartnerUserLoginFailedPasswordExpired",
        "PartnerUserLoginAttepmtedOTPByPass",
        "PartnerUserLoginFailedInvalidOTP",
        "MaximumFailedOTPRequestsExceeded",
        "UpdateDeviceCounterFailed",
        "RateLimited",
      ],
      request: { username: "alice", password: "correct horse battery staple", otp: "755224" },
      response: { user: exampleUser },
    },
  },
};
