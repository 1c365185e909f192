import type { DomainOperations } from "../openapi/operation-docs.ts";

const serialPath = { "params.serial": "the token's serial" };

const authenticator = {
  serial: "TOTP0001A2B3",
  type: "totp",
  username: "alice",
  enabled: true,
  activated: true,
  algorithm: "SHA1",
  digits: 6,
  period: 30,
  counter: null,
  drift: 0,
  lockedUntil: null,
  uses: 0,
  maxUses: null,
  createdAt: "2026-01-01T00:00:00.000Z",
};
const uri =
  "otpauth://totp/acme:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=acme&algorithm=SHA1&digits=6&period=30";
const byPath = ["SerialNumberNotSpecified", "BogusSerialNumber", "DeviceNotFound"] as const;
const codeCheck = [
  "BogusOTP",
  "DeviceDiabled",
  "DeviceInvalid",
  "MaximumFailedOTPRequestsExceeded",
  "OTPInvalid",
] as const;
const readOnly = "Reads only; safe to repeat.";

/** Documentation of authenticators/authenticator-routes.ts and the provisioning-link route. */
export const authenticatorOperations: DomainOperations = {
  tag: "authenticators",
  operations: {
    "POST /v1/authenticators": {
      fields: {
        "body.serial":
          "the token's serial, 1–64 of letters, digits, `-`, `_`, `.`, unique across tenants; generated when absent",
        "body.algorithm": "the HMAC of the codes: `SHA1` (default), `SHA256` or `SHA512`",
        "body.digits": "code length: 6 (default) or 8",
        "body.period": "TOTP only: seconds per code, 30 (default) or 60",
        "body.username": "the user to assign the token to; unassigned when absent",
        "body.maxUses": "codes the token accepts in all, 1–2^31−1; unlimited when absent",
        "body.locale":
          "sms, voice and email devices: BCP 47 language of the verification message (en when absent)",
      },
      summary: "Create an authenticator (TOTP or HOTP token, or an SMS, voice or e-mail device)",
      description:
        "Creates a token, optionally assigned to `username`. Without `secret` a random one is generated and returned once as an otpauth URI, as `secret` (base32, for typing into an app) and as a QR code; the token then waits for activation with codes from the user's app. With `secret` (base32) it is active at once. A serial already taken is DeviceInUse (this tenant) or DeviceAssignedToDifferentPartner. Type `sms`, `voice` or `email` binds `destination` (an E.164 phone number or an e-mail address) to `username` as a device that is not activated yet and sends it a verification code: the answer carries the `challenge` to activate it with (POST /v1/authenticators/{serial}/activate {otp, challengeId}); when the code cannot be sent (SMSSendError, EmailSendError, RateLimited) nothing is created.",
      errors: [
        "DeviceTypeInvalid",
        "SMSSendError",
        "EmailSendError",
        "RateLimited",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "InvalidDeviceConfig",
        "SerialNumberNotSpecified",
        "BogusSerialNumber",
        "DeviceInUse",
        "DeviceAssignedToDifferentPartner",
        "InvalidPartnerUserLogin",
      ],
      request: { type: "totp", username: "alice" },
      response: {
        authenticator: { ...authenticator, activated: false },
        provisioningUri: uri,
        secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        qrCode: "data:image/png;base64,iVBORw0KGgo…",
      },
    },
    "POST /v1/authenticators/import": {
      summary: "Import hardware tokens from a PSKC file",
      description:
        "Imports the tokens of a PSKC (RFC 6030) document into the tenant's pool of unassigned tokens, decrypting with `preSharedKey` or, for a PBKDF2 file, `password`. The MAC the file declares is verified before anything is decrypted; a file whose MAC, keys, version or layout cannot be handled is InvalidDeviceConfig naming the defect, and nothing of it is stored. Keys that cannot be imported (serial taken, unsupported parameters, expired unless `allowExpired`) are reported in `rejected` with their reasons and the others imported; an import that imports nothing is InvalidDeviceConfig naming the reasons. `signature` says whether the file was signed (a signature is not verified). See docs/authenticators.md, PSKC files.",
      errors: ["InvalidDeviceConfig"],
      request: {
        pskc: '<?xml version="1.0"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">…</KeyContainer>',
      },
      response: {
        imported: 10,
        rejected: [{ serial: "HW000042", reason: "serial number already exists" }],
        signature: "none",
      },
    },
    "POST /v1/authenticators/assign-next": {
      fields: {
        "body.username": "the user who receives the token",
        "body.type": "only a token of this type (`totp` or `hotp`); any type when absent",
      },
      summary: "Assign the next pool token to a user",
      description:
        "Takes the oldest unassigned token of the pool (of `type`, when given) and assigns it to the user atomically, so concurrent calls never hand out one token twice. An empty pool is NoDevicesAvailable.",
      errors: ["InvalidPartnerUserLogin", "DeviceTypeInvalid", "NoDevicesAvailable"],
      request: { username: "alice", type: "hotp" },
      response: { authenticator: { ...authenticator, type: "hotp", period: null, counter: 0 } },
    },
    "GET /v1/authenticators/:serial": {
      fields: serialPath,
      summary: "Read an authenticator",
      description: `Returns the token with its holder, state, lock and use count (never its secret). ${readOnly}`,
      errors: [...byPath],
      response: { authenticator },
    },
    "PATCH /v1/authenticators/:serial": {
      fields: {
        ...serialPath,
        "body.maxUses": "codes the token accepts in all, 1–2^31−1; null removes the limit",
        "body.counter": "HOTP only: the next counter value the token will use, 0–2^48",
        "body.period": "TOTP only: seconds per code, 30 or 60",
      },
      summary: "Change an authenticator's settings",
      description:
        "Changes `maxUses`, an HOTP token's `counter` or a TOTP token's `period` (which resets its drift). A setting that does not fit the token's type is OTPTypeInvalid (so is `maxUses` for a security key, whose sign-ins are not counted). Applying the same change twice leaves the same state.",
      errors: [...byPath, "OTPTypeInvalid", "InvalidDeviceConfig"],
      request: { maxUses: 1000 },
      response: { authenticator: { ...authenticator, maxUses: 1000 } },
    },
    "DELETE /v1/authenticators/:serial": {
      fields: serialPath,
      summary: "Delete an authenticator",
      description:
        "Deletes the token and its secret. A repeat is DeviceNotFound. A security key (type webauthn) follows DELETE /v1/webauthn/keys/{serial}'s rule: the last second factor of a user whom the tenant requires to have one (ssoSecondFactor) is PartnerUserFIDOU2FDeleteSecurityKeyFailed.",
      errors: [...byPath, "PartnerUserFIDOU2FDeleteSecurityKeyFailed"],
      response: {},
    },
    "POST /v1/authenticators/:serial/assign": {
      fields: {
        ...serialPath,
        "body.username": "the user to assign the token to",
        "body.force":
          "true moves a token held by another user (a soft token is then disabled); without it that is DeviceInUse",
      },
      summary: "Assign an authenticator to a user",
      description:
        "Assigns the token to the user; a token held by another user is DeviceInUse unless `force` moves it. Assigning it to its holder again changes nothing. A security key (type webauthn) is bound to the user it was registered for and is never moved: OTPTypeInvalid.",
      errors: [
        ...byPath,
        "DeviceAssignedToDifferentPartner",
        "InvalidPartnerUserLogin",
        "DeviceInUse",
        "OTPTypeInvalid",
      ],
      request: { username: "alice", force: false },
      response: { authenticator },
    },
    "POST /v1/authenticators/:serial/unassign": {
      fields: serialPath,
      summary: "Unassign an authenticator",
      description:
        "Removes the token from its holder; it stays in the tenant. A repeat changes nothing. A security key (type webauthn) is bound to its user: OTPTypeInvalid.",
      errors: [...byPath, "OTPTypeInvalid"],
      response: { authenticator: { ...authenticator, username: null } },
    },
    "POST /v1/authenticators/:serial/enable": {
      fields: serialPath,
      summary: "Enable an authenticator (and clear its lock)",
      description:
        "Enables the token and clears any lockout, including the one after the tenant's maxConsecutiveFailures that only an administrator lifts. A repeat changes nothing.",
      errors: [...byPath],
      response: { authenticator },
    },
    "POST /v1/authenticators/:serial/disable": {
      fields: serialPath,
      summary: "Disable an authenticator",
      description:
        "Disables the token: its codes are refused with DeviceDiabled until it is enabled. A repeat changes nothing.",
      errors: [...byPath],
      response: { authenticator: { ...authenticator, enabled: false } },
    },
    "POST /v1/authenticators/:serial/activate": {
      fields: {
        ...serialPath,
        "body.challengeId":
          "sms, voice and email devices: the challenge that sent the verification code (required for them, refused for OATH tokens)",
      },
      summary: "Activate a new authenticator with codes from the app",
      description:
        "Proves that the user's app holds the secret of a token that is not active yet (one created with a generated secret): by default with `otp`, one valid code from the validation window; when the tenant's `activationCodes` is 2, with `otp1` and `otp2`, two consecutive codes. It activates the token and records its drift. A token that is already active is DeviceAlreadyProvisioned (409) before any code is looked at, right or wrong (nothing is counted or spent): a drifted token is resynchronised instead, with POST /v1/authenticators/{serial}/resync. The token and its holder must pass what validation asks: a disabled token is DeviceDiabled, a token of a disabled user PartnerUserLoginDisabled, of an expired user AccountExpired, so activation never tells whether a code is right for a user validation would refuse (an unassigned new token may be activated before it is assigned). A code is a guess like any code: it honours the token's lock and counts when wrong. The code that activated is spent: sent to POST /v1/auth/otp it is refused as a replay (OTPAlreadyUsed), as is a concurrent activation with the same code; a code from outside the validation window is TimeDriftInvalid. An SMS, voice or e-mail device is activated with `otp` and `challengeId`, the code its verification sent: single use, SendOTPExpired once expired or superseded by a resend.",
      errors: [
        ...byPath,
        ...codeCheck,
        "OTPAlreadyUsed",
        "TimeDriftInvalid",
        "DeviceAlreadyProvisioned",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "SendOTPExpired",
        "MaximumCardUsesExceeded",
      ],
      request: { otp: "755224" },
      response: { authenticator },
    },
    "POST /v1/authenticators/:serial/resync": {
      fields: { ...serialPath, "body.otp1": "a code the token shows now" },
      summary: "Resynchronise an authenticator",
      description:
        "Finds two consecutive codes within the wide resynchronisation window and moves the token's counter or drift there, so a token whose clock or counter ran off works again (a token not active yet is activated by it). Counts as a guess when wrong and honours the token's lock. Refused, before any code is looked at, as validation refuses: a disabled token (DeviceDiabled), one with no uses left (MaximumCardUsesExceeded), a token of a disabled user (PartnerUserLoginDisabled) or an expired one (AccountExpired).",
      errors: [
        ...byPath,
        ...codeCheck,
        "MaximumCardUsesExceeded",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "OTPTypeInvalid",
      ],
      request: { otp1: "755224", otp2: "287082" },
      response: { authenticator },
    },
    "POST /v1/authenticators/:serial/provisioning-link": {
      fields: serialPath,
      summary: "Create a one-time provisioning link",
      description:
        "Creates a link `<publicUrl>/provision/{token}` to send to the user, valid for a limited time; it replaces any earlier link of the token. Opening it shows a button; pressing it gives the token a fresh secret, shows it once and activates the token without a code (see POST /provision/{token}). Only OATH tokens (totp, hotp) have a seed to give: any other type (a security key, a phone, a push app) is OTPTypeInvalid.",
      errors: [...byPath, "OTPTypeInvalid"],
      response: {
        url: "https://id.acme.example/provision/p_Zx8cV2bN5mQ1wE4rT7yU0i",
        expiresAt: "2026-01-02T00:00:00.000Z",
      },
    },
    "GET /v1/authenticators": {
      fields: {
        "querystring.type": "only tokens of this type: `totp` or `hotp`",
        "querystring.activated":
          "true: only activated tokens; false: only those still waiting for their activation code",
        "querystring.enabled": "true: only enabled tokens; false: only disabled ones",
      },
      summary: "List authenticators",
      description: `Lists the tenant's tokens, filtered by holder, type or state, a page at a time: follow \`nextCursor\` until it is null. ${readOnly}`,
      errors: ["InvalidPartnerUserLogin", "DeviceTypeInvalid"],
      response: { authenticators: [authenticator], nextCursor: null },
    },
    "GET /v1/users/:username/authenticators": {
      fields: { "params.username": "the user whose tokens are listed" },
      summary: "List a user's authenticators",
      description: `Lists the tokens assigned to the user, a page at a time: follow \`nextCursor\` until it is null. ${readOnly}`,
      errors: ["InvalidPartnerUserLogin"],
      response: { authenticators: [authenticator], nextCursor: null },
    },
  },
};
