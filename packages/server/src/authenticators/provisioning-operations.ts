import type { DomainOperations } from "../openapi/operation-docs.ts";

const tokenPath = {
  "params.token":
    "the link's one-time token, as in the URL POST /v1/authenticators/{serial}/provisioning-link returned",
};

/**
 * Documentation of authenticators/provisioning.ts: the link a person or an app opens. Documented
 * (not hidden) because authenticator apps call it with `Accept: application/json` and get the
 * envelope; a browser gets an HTML page with the same codes.
 */
const pageErrors = ["MalformedRequest", "NotFound", "DeviceAlreadyProvisioned", "DatabaseError"] as const;

export const provisioningOperations: DomainOperations = {
  tag: "provisioning links",
  operations: {
    "GET /provision/:token": {
      fields: tokenPath,
      summary: "Open a provisioning link",
      description:
        "Spends nothing (mail and chat scanners open every link): a browser gets a page with a button, an app (`Accept: application/json`) is told to POST the same URL. A link that was used or replaced is DeviceAlreadyProvisioned, an unknown or expired one NotFound. No API key: the link itself is the credential. Safe to repeat.",
      errors: [...pageErrors],
      public: true,
      response: {
        reveal: "POST this URL to receive the secret; it is shown once",
        expiresAt: "2026-01-02T00:00:00.000Z",
      },
    },
    "POST /provision/:token": {
      fields: tokenPath,
      summary: "Redeem a provisioning link and receive the secret",
      description:
        "Gives the token a fresh secret and shows it once (a QR code and the key on the page; `{serial, provisioningUri, secret}` for an app): Provisioned (201) the first time the token is provisioned, Reprovisioned (200) when it replaces an earlier secret. Redeeming activates the token at once, without an activation code, and clears its failures and lock: an app that fetched the secret itself holds it, while a person shown the QR code on the page has nothing checked, so a scan that failed needs a new link (docs/authenticators.md). Redeemed by compare-and-set, so a second or concurrent redemption is DeviceAlreadyProvisioned. The body, if any, may be empty. No API key: the link itself is the credential.",
      errors: [...pageErrors, "PayloadTooLarge", "UnsupportedMediaType"],
      outcomes: ["Provisioned", "Reprovisioned"],
      public: true,
      response: {
        serial: "TOTP0001A2B3",
        provisioningUri:
          "otpauth://totp/acme:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=acme&algorithm=SHA1&digits=6&period=30",
        secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
      },
    },
  },
};
