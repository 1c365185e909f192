import type { DomainOperations } from "../../openapi/operation-docs.ts";

/** Documentation of authenticators/webauthn/registration-routes.ts (docs/authenticators.md has the rest). */
const key = {
  serial: "WEBAUTHN3F9A1C7B2E",
  credentialId: "q1Wc0m4ZpY9rT2nLx8eV5kHs3dFg7jBa6uNi0oRt4yE",
  name: "Alice's YubiKey",
  aaguid: "ee882879-721c-4913-9775-3dfcce97072a",
  attestationFormat: "none",
  backupEligible: false,
  backedUp: false,
  transports: ["usb", "nfc"],
  legacyU2f: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  lastUsedAt: null,
  cloneSuspected: false,
  enabled: true,
  userVerified: true,
};
const response = {
  id: key.credentialId,
  rawId: key.credentialId,
  type: "public-key",
  response: {
    clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwi…",
    attestationObject: "o2NmbXRkbm9uZWdh…",
    transports: ["usb"],
  },
  clientExtensionResults: {},
};
const verifyErrors = [
  "PartnerUserFIDOU2FInvalidSessionIdData",
  "PartnerUserFIDOU2FInvalidRegData",
  "PartnerUserFIDOU2FInvalidChallenge",
  "PartnerUserFIDOU2FInvalidAppID",
  "PartnerUserFIDOU2FInvalidPubKey",
  "PartnerUserFIDOU2FNoUserPresence",
  "PartnerUserFIDOU2FInvalidAttestationSig",
  "PartnerUserFIDOU2FInvalidAttestationError",
  "PartnerUserFIDOU2FInvalidVersion",
] as const;

export const webauthnRegistrationOperations: DomainOperations = {
  tag: "security keys",
  operations: {
    "POST /v1/webauthn/registration/options": {
      fields: {
        "body.username": "the user the key is registered for",
        "body.residentKey":
          "required: a passkey (discoverable credential, signs in without a username); preferred (the default) or discouraged",
        "body.clientId":
          "an app of the tenant whose page runs the ceremony: its webauthnOrigins are accepted besides the tenant's (NotFound for an unknown or another tenant's app)",
      },
      summary: "Start registering a security key or passkey",
      description:
        "Answers the options for navigator.credentials.create() (PublicKeyCredentialCreationOptionsJSON: the tenant's relying party, a fresh 256-bit challenge, the user's keys excluded, the tenant's user verification and attestation conveyance, algorithms EdDSA, ES256 and RS256) and a ceremony id, valid 5 minutes and single use, bound to the tenant, the user, the RP id and the allowed origins. Each call starts another ceremony.",
      errors: ["InvalidPartnerUserLogin", "NotFound"],
      request: { username: "alice", residentKey: "required" },
      response: {
        ceremonyId: "h2Kx9Qm4Zr7Tb1Lw5Nc8Vd3Ye6Pa0Sj2Uf4Gi7Ho9Ek",
        expiresAt: "2026-01-01T00:05:00.000Z",
        options: {
          rp: { name: "Acme", id: "acme.example" },
          user: { id: "OWIyZjRjMWU", name: "alice", displayName: "alice" },
          challenge: "Jx2vQm8rT5yW1nB4cE7gH0kL3oP6sU9xA2dF5hJ8mN1",
          pubKeyCredParams: [
            { alg: -8, type: "public-key" },
            { alg: -7, type: "public-key" },
            { alg: -257, type: "public-key" },
          ],
          timeout: 300000,
          attestation: "none",
          excludeCredentials: [],
          authenticatorSelection: {
            residentKey: "required",
            userVerification: "preferred",
            requireResidentKey: true,
          },
          extensions: { credProps: true },
          hints: [],
        },
      },
    },
    "POST /v1/webauthn/registration/verify": {
      fields: {
        "body.ceremonyId": "the ceremony id the options came with",
        "body.response": "what navigator.credentials.create() gave, as JSON (RegistrationResponseJSON)",
        "body.name": "a label for the key (1–100 characters); default Security key or Passkey",
      },
      summary: "Finish registering a security key or passkey",
      description:
        "Spends the ceremony first (unknown, expired, used or another tenant's: InvalidSessionIdData; a failed verification cannot be retried), then checks the response against it: type webauthn.create and readable data (InvalidRegData), the challenge (InvalidChallenge), the origin and the RP id hash (InvalidAppID), user presence and, when the tenant requires it, user verification (NoUserPresence), a well-formed public key of a supported algorithm (InvalidPubKey), and the tenant's attestation policy. Stores the key (type webauthn) with its credential id, counter, flags and transports. A credential id already registered in the tenant is InvalidRegData. Of concurrent verifications of one ceremony exactly one stores a key.",
      errors: [...verifyErrors],
      request: { ceremonyId: "h2Kx9Qm4Zr7Tb1Lw5Nc8Vd3Ye6Pa0Sj2Uf4Gi7Ho9Ek", response, name: key.name },
      response: { key },
    },
    "GET /v1/users/:username/webauthn-keys": {
      fields: { "params.username": "the user whose keys are listed" },
      summary: "List a user's security keys and passkeys",
      description:
        "The user's keys, oldest first: credential id, name, authenticator model (AAGUID), attestation format, passkey sync flags (backupEligible, backedUp), transports, legacy U2F flag, last use and whether a counter went backwards (cloneSuspected). Never the public key. Reads only.",
      errors: ["InvalidPartnerUserLogin"],
      response: { keys: [key] },
    },
    "PATCH /v1/webauthn/keys/:serial": {
      fields: { "params.serial": "the key's serial", "body.name": "the new label (1–100 characters)" },
      summary: "Rename a security key",
      description:
        "Changes the key's label. An unknown serial or another tenant's is DeviceNotFound. Safe to repeat.",
      errors: ["BogusSerialNumber", "DeviceNotFound"],
      request: { name: "Backup key" },
      response: { key: { ...key, name: "Backup key" } },
    },
    "DELETE /v1/webauthn/keys/:serial": {
      fields: { "params.serial": "the key's serial" },
      summary: "Delete a security key",
      description:
        "Deletes the key. DeleteSecurityKeyFailed: an unknown serial or another tenant's (the same answer), a serial of another type (DELETE /v1/authenticators removes those), or the user's last enabled and activated second factor while the tenant's ssoSecondFactor is required (register another first). Deleting again answers DeleteSecurityKeyFailed.",
      errors: ["BogusSerialNumber", "PartnerUserFIDOU2FDeleteSecurityKeyFailed"],
      response: {},
    },
  },
};
