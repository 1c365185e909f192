import type { DomainOperations } from "../../openapi/operation-docs.ts";

/** Documentation of out-of-band/challenges/challenge-routes.ts: sending a code by SMS, voice or e-mail. */
export const challengeOperations: DomainOperations = {
  tag: "authentication",
  operations: {
    "POST /v1/auth/challenge": {
      fields: {
        "body.username":
          "the user signing in; the code goes to one of their verified phone or e-mail devices",
        "body.serial":
          "the device to send to; without it, the user's first verified device (that takes `method`, when given)",
        "body.method":
          "`sms`, `voice` or `email`; the device's default when absent (an sms device takes sms or voice, an e-mail device email)",
        "body.locale":
          "BCP 47 language of the message (en when absent; the template falls back to the language, then en)",
      },
      summary: "Send a one-time code by SMS, voice call or e-mail",
      description:
        "Sends a fresh code to one of the user's verified challenge devices and answers the challenge id to send back with the code (POST /v1/auth/otp or /v1/auth/login with `challengeId`). A new code supersedes the device's previous one. Sending is limited per user, destination, source address and country (RateLimited with Retry-After). The code is never in the answer nor in any log. Not idempotent: every call sends a message.",
      errors: [
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "NoChallengeDevicesDefined",
        "DeviceIsNotAChallengeDevice",
        "SendOTPInvalidDeliveryMethod",
        "DeviceNotFound",
        "DeviceInvalid",
        "DeviceDiabled",
        "MaximumCardUsesExceeded",
        "MaximumFailedOTPRequestsExceeded",
        "SMSSendError",
        "EmailSendError",
        "RateLimited",
      ],
      request: { username: "alice", method: "sms" },
      response: {
        challengeId: "q7Xv2mB9tR4kLp0sWc8eYh3N",
        serial: "SMS0001A2B3",
        method: "sms",
        maskedDestination: "+1•••••••671",
        expiresAt: "2026-01-01T00:10:00.000Z",
      },
    },
    "POST /v1/authenticators/:serial/verification": {
      fields: {
        "params.serial": "the SMS, voice or e-mail device waiting for verification",
        "body.method": "sms devices: `sms` (default) or `voice`",
        "body.locale": "BCP 47 language of the message (en when absent)",
      },
      summary: "Resend the verification code of a new SMS, voice or e-mail device",
      description:
        "Sends a new verification code to a device that is not activated yet and answers its challenge; the code sent before stops counting (SendOTPExpired). A verified device is DeviceAlreadyProvisioned; an OATH or push authenticator is DeviceIsNotAChallengeDevice. Sending limits apply (RateLimited). Not idempotent: every call sends a message.",
      errors: [
        "SerialNumberNotSpecified",
        "BogusSerialNumber",
        "DeviceNotFound",
        "DeviceIsNotAChallengeDevice",
        "DeviceAlreadyProvisioned",
        "DeviceInvalid",
        "DeviceDiabled",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "SendOTPInvalidDeliveryMethod",
        "MaximumCardUsesExceeded",
        "MaximumFailedOTPRequestsExceeded",
        "SMSSendError",
        "EmailSendError",
        "RateLimited",
      ],
      request: { locale: "en" },
      response: {
        challenge: {
          challengeId: "q7Xv2mB9tR4kLp0sWc8eYh3N",
          serial: "SMS0001A2B3",
          method: "sms",
          maskedDestination: "+1•••••••671",
          expiresAt: "2026-01-01T00:10:00.000Z",
        },
      },
    },
  },
};
