import type { DomainOperations } from "../../openapi/operation-docs.ts";
import { authPolicyDocs } from "../../policies/policy-operations.ts";

const assertion = {
  id: "mJ0k7mK0h3bV1xqSx3Ih1ZtA1Yb4o6mXqH0Jr8cF8eE",
  rawId: "mJ0k7mK0h3bV1xqSx3Ih1ZtA1Yb4o6mXqH0Jr8cF8eE",
  type: "public-key",
  response: {
    clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
    authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
    signature: "MEUCIQD",
  },
  clientExtensionResults: {},
};

/** Documentation of authenticators/webauthn/authentication-routes.ts: signing in with a security key or passkey. */
export const webauthnAuthenticationOperations: DomainOperations = {
  tag: "authentication",
  operations: {
    "POST /v1/webauthn/authentication/options": {
      fields: {
        "body.username":
          "the user signing in: allowCredentials lists their enabled keys of the relying party; leave it out for a passkey sign-in without a username (empty allowCredentials, the user found from the credential)",
        "body.clientId": "an SSO app whose own WebAuthn origins are accepted too",
        "body.userVerification":
          "asks for user verification (PIN or biometric); never below the tenant's webauthnUserVerification",
      },
      summary: "Begin a WebAuthn sign-in",
      description:
        "Stores a single-use ceremony (5 minutes; counted in the /v1/auth rate limits, RateLimited beyond them) bound to the tenant, the user (none for a discoverable sign-in), the relying party and its origins, and answers the PublicKeyCredentialRequestOptions for navigator.credentials.get(). The `appid` extension is asked for when the user has a legacy U2F key. NoEnrolledDevices when the user has no key at all; PrepareSignDataError when they have keys but none this relying party can use now (another RP id, disabled — a key flagged as a possible clone is disabled — or locked).",
      errors: [
        "InvalidPartnerUserLogin",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "PartnerUserFIDOU2FNoEnrolledDevices",
        "PartnerUserFIDOU2FPrepareSignDataError",
        "NotFound",
        "RateLimited",
      ],
      request: { username: "alice" },
      response: {
        ceremonyId: "pQ0m7x6N6c7f2pUKqv5bgH4b3Sx6c1N0fI0m0r9cZbc",
        expiresAt: "2027-06-30T12:05:00.000Z",
        options: {
          challenge: "u3P2VwKX3o5vQmX0m8KcVwzv2jHc1P0FQ0d3bn9S6Xk",
          timeout: 300000,
          rpId: "id.example.com",
          allowCredentials: [{ id: assertion.id, type: "public-key", transports: ["usb"] }],
          userVerification: "preferred",
        },
      },
    },
    "POST /v1/webauthn/authentication/verify": {
      fields: {
        "body.ceremonyId": "the id the options call answered; spent by this call whatever its outcome",
        "body.response":
          "the AuthenticationResponseJSON of the browser's navigator.credentials.get() (byte fields base64url)",
      },
      summary: "Finish a WebAuthn sign-in",
      description:
        "Spends the ceremony first (a second verify of it, even a concurrent one or on another server process, is InvalidSessionIdData), then checks the credential (BogusPhysicalDeviceId for an id that cannot be one, BogusUniqueDeviceId for one unknown in the tenant or another user's; a userHandle, when sent, must be the credential's user, and a discoverable sign-in must send one), its holder and its state as POST /v1/auth/otp does, and the assertion with the stored public key. The signature counter moves on by a compare-and-set; a counter that does not move forward for an authenticator that counts is refused (InvalidSignDataInvalid), the key is flagged as a possible clone, disabled and audited until an administrator re-enables it (POST /v1/authenticators/{serial}/enable). Not idempotent. When the options call named an app (`clientId`), the tenant's and that app's access policies are applied once the assertion is verified, as /v1/auth/* applies them with `app`: a denial is its SSOPolicy* code, a logged or ignored rule rides on the success (`policy.outcomes`).",
      errors: [
        ...authPolicyDocs.errors.filter((code) => code !== "NotFound"),
        "PartnerUserFIDOU2FInvalidSessionIdData",
        "BogusPhysicalDeviceId",
        "BogusUniqueDeviceId",
        "PartnerUserFIDOU2FInvalidSignData",
        "PartnerUserFIDOU2FInvalidSignDataInvalid",
        "PartnerUserFIDOU2FInvalidAppID",
        "PartnerUserFIDOU2FInvalidChallenge",
        "PartnerUserFIDOU2FNoUserPresence",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "DeviceDiabled",
        "DeviceInvalid",
        "MaximumFailedOTPRequestsExceeded",
        "RateLimited",
      ],
      request: { ceremonyId: "pQ0m7x6N6c7f2pUKqv5bgH4b3Sx6c1N0fI0m0r9cZbc", response: assertion },
      response: {
        username: "alice",
        serial: "WEBAUTHN0A1B2C3D4E",
        userVerified: true,
        policy: { outcomes: [] },
      },
      outcomes: authPolicyDocs.outcomes,
    },
  },
};
