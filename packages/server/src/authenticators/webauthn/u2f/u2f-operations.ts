import type { DomainOperations } from "../../../openapi/operation-docs.ts";

/** Documentation of u2f-key-routes.ts; the migration is in docs/authenticators.md, "WebAuthn: legacy U2F keys". */
export const u2fOperations: DomainOperations = {
  tag: "security keys (legacy U2F)",
  operations: {
    "POST /v1/webauthn/u2f-keys": {
      fields: {
        "body.username": "the user the key belongs to",
        "body.keyHandle":
          "the U2F key handle (1–255 bytes, base64url): the credential id the browser sends back",
        "body.publicKey":
          "the user public key from the U2F registration: an uncompressed P-256 point (65 bytes, 0x04 ‖ x ‖ y), base64url",
        "body.appId":
          "the AppID the key was registered under (an https URL); must be the tenant's webauthnU2fAppId",
        "body.version": 'the U2F protocol version the previous server recorded: "U2F_V2"',
        "body.counter": "the last signature counter the previous server saw (0 to 2^32-1, default 0)",
        "body.name": 'a label for the key (1–100 characters, default "Security key (U2F)")',
      },
      summary: "Import a legacy U2F security key registration",
      description:
        "Stores a registration made with a previous U2F server as one of the user's WebAuthn security keys, so the key goes on working without registering again: it signs in through /v1/webauthn/authentication with the `appid` extension. The tenant's webauthnU2fAppId must be set and equal the AppID given (BogusFIDOAppId otherwise). A malformed key handle is BogusPhysicalDeviceId, a public key that is not a point on P-256 InvalidPubKey, a version other than U2F_V2 InvalidVersion; a key handle already registered in the tenant is DeviceAlreadyProvisioned (importing again is safe: it changes nothing).",
      errors: [
        "InvalidPartnerUserLogin",
        "BogusPhysicalDeviceId",
        "PartnerUserFIDOU2FInvalidPubKey",
        "BogusFIDOAppId",
        "PartnerUserFIDOU2FInvalidVersion",
        "DeviceAlreadyProvisioned",
      ],
      request: {
        username: "alice",
        keyHandle: "Tq4Yb3v1h8xvS0kqZ9n3c1mO2rG7uVw5yJkLpQ6aXbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfA",
        publicKey: "BHG5b3p8c0F1Yx0a7w9kqZ2LrS3uQ4vW5xY6zA7bC8dE9fG0hI1jK2lM3nO4pQ5rS6tU7vW8xY9zA0bC1dE2fG3h",
        appId: "https://id.example.com/u2f/app-id.json",
        version: "U2F_V2",
        counter: 412,
        name: "Alice's YubiKey",
      },
      response: {
        key: {
          serial: "WEBAUTHN0A1B2C3D4E",
          credentialId:
            "Tq4Yb3v1h8xvS0kqZ9n3c1mO2rG7uVw5yJkLpQ6aXbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfA",
          name: "Alice's YubiKey",
          aaguid: "00000000-0000-0000-0000-000000000000",
          attestationFormat: "fido-u2f",
          backupEligible: false,
          backedUp: false,
          transports: [],
          legacyU2f: true,
          createdAt: "2026-01-02T00:00:00.000Z",
          lastUsedAt: null,
          cloneSuspected: false,
        },
      },
    },
  },
};
