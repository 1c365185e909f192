import type { CodeName, DomainOperations } from "../openapi/operation-docs.ts";

/**
 * Documentation of push/enrolment-routes.ts and push/app-routes.ts. The /app/v1 routes take no
 * API key (`public`): the enrolment link, then the device's signature, is the credential; the
 * protocol is in docs/authenticators.md, "Push devices and the app protocol".
 */
const signed =
  " Signed by the device: headers `Tessera-Device` (its serial), `Tessera-Timestamp` (epoch ms, within 5 minutes of the server's clock and greater than the device's last accepted one) and `Tessera-Signature` (base64url signature over `tessera-app/1\\n<METHOD>\\n<path with query>\\n<timestamp>\\n<base64url SHA-256 of the body>`); a refused signature, an unknown device or a replay is AppRequestNotAuthenticated naming the header, checked before the input is validated.";
const deviceErrors: readonly CodeName[] = [
  "AppRequestNotAuthenticated",
  "DeviceDiabled",
  "DeviceInvalid",
  "PartnerUserLoginDisabled",
  "AccountExpired",
  "PartnerLoginFailed",
  "MalformedRequest",
  "DatabaseError",
];
/** The subscription's fields, under `prefix` (`body.` or `body.webPush.`). */
const subscriptionFields = (prefix: string) => ({
  [`${prefix}endpoint`]:
    "the push service URL: https, on a public address (push.webPushAllowPrivateNetworks lifts this for development)",
  [`${prefix}keys`]: "the subscription's keys (RFC 8291)",
  [`${prefix}keys.p256dh`]: "the subscription's P-256 public key (65 bytes uncompressed, base64url)",
  [`${prefix}keys.auth`]: "the subscription's authentication secret (16 bytes, base64url)",
  [`${prefix}expirationTime`]: "as the browser gives it; not used",
});
const exampleItem = {
  reference: "7K3M9QX2B4T8V1ZD",
  kind: "transaction",
  context: { app: "Online banking", sourceIp: "203.0.113.7" },
  details: { amount: "120.00", currency: "EUR", payee: "ACME Ltd" },
  expiresAt: "2026-01-02T00:05:00.000Z",
};

export const pushOperations: DomainOperations = {
  tag: "push devices",
  operations: {
    "POST /v1/users/:username/push-enrolments": {
      fields: { "params.username": "the user whose phone app is enrolled" },
      summary: "Create a one-time enrolment link for a push device",
      description:
        "Answers a link (and the same link as an SVG QR code) that a phone app POSTs to once, within 10 minutes, to enrol as the user's push device. The code in the link is 256 random bits, stored as its SHA-256. Each call creates another link; earlier ones stay valid until used or expired.",
      errors: ["InvalidPartnerUserLogin"],
      response: {
        enrolmentUrl: "https://id.example.com/app/v1/enrolments/q9Wm2p0c3x7y8dLs1aV4bN6eR5tU0iO2kJ3hG9fD8sA",
        qrCodeSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 37 37">…</svg>',
        expiresAt: "2026-01-02T00:10:00.000Z",
      },
    },
    "POST /app/v1/enrolments/:code": {
      fields: {
        "params.code": "the code of the enrolment link",
        "body.algorithm": "the key's algorithm: `ed25519`, or `p256` (ECDSA P-256 with SHA-256)",
        "body.publicKey": "the app's new public key: SubjectPublicKeyInfo DER, base64url",
        "body.name": "a label for the device (1–100 characters)",
        "body.webPush": "a Web Push subscription (`PushSubscription.toJSON()`): endpoint and keys",
        ...subscriptionFields("body.webPush."),
      },
      summary: "Enrol a phone app as a push device (the app calls it)",
      description:
        "Creates the user's push device, activated, from the link's one-time code. The request is signed like every app request but with the new key and without `Tessera-Device` (proof of possession). The link is spent and the device created by a compare-and-set in one transaction: of concurrent enrolments with one code, exactly one succeeds, the others are DeviceAlreadyProvisioned. An unknown or expired link is NotFound; a link whose tenant was disabled since is PartnerLoginFailed and stays unspent. Answers the serial the app signs its requests with and the VAPID public key to subscribe to Web Push with.",
      errors: [
        "NotFound",
        "DeviceAlreadyProvisioned",
        "InvalidDeviceConfig",
        "AppRequestNotAuthenticated",
        "PartnerUserLoginDisabled",
        "AccountExpired",
        "PartnerLoginFailed",
        "DeviceInvalid",
        "MalformedRequest",
        "DatabaseError",
        "UnsupportedMediaType",
        "PayloadTooLarge",
      ],
      public: true,
      request: {
        algorithm: "ed25519",
        publicKey: "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE",
      },
      response: {
        serial: "PUSH0A1B2C3D4E",
        username: "alice",
        tenant: "acme",
        vapidPublicKey:
          "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
      },
    },
    "GET /app/v1/requests": {
      fields: {
        "querystring.waitSeconds":
          "wait up to this many seconds (0–30) for a request when none is pending (a long poll); 0 answers at once",
      },
      summary: "List the device's pending requests (long poll)",
      description:
        "The device's pending, unexpired approval requests, oldest first: sign-in pushes and transactions, with where they come from and a transaction's details. Never the number to match: the user types it. With `waitSeconds` and nothing pending, answers as soon as a request arrives (at once from this process, within a second from another) or with an empty list when the time is up. A device holds at most push.maxStreamsPerDevice waiting long polls and streams per process (RateLimited)." +
        signed,
      errors: [...deviceErrors, "RateLimited"],
      public: true,
      response: { requests: [exampleItem] },
    },
    "GET /app/v1/events": {
      summary: "Follow the device's requests as server-sent events",
      description:
        "Sends every pending request on connect, then each new one, as `event: request` with the item GET /app/v1/requests lists; heartbeat comments keep it open. The stream ends when the server shuts down: reconnect (pending requests are sent again). Recorded in the audit trail before it opens (DatabaseError if that fails). At most push.maxStreamsPerDevice streams and long polls per device and process (RateLimited)." +
        signed,
      errors: [...deviceErrors, "RateLimited"],
      public: true,
      content: {
        mediaType: "text/event-stream",
        description: "Server-sent events: one `request` event per pending request.",
        example: `: tessera push device events\n\nevent: request\ndata: ${JSON.stringify(exampleItem)}\n\n`,
      },
    },
    "POST /app/v1/requests/:reference/answer": {
      fields: {
        "params.reference": "the request's reference, as listed",
        "body.decision": "`approved` or `rejected`",
        "body.number": "the number the user typed (10–99), for a sign-in push",
        "body.approvalCode":
          "the device's signature (base64url) over the approval payload: `tessera-approval/1`, a newline, and the canonical JSON of {decision, details, kind, number, reference}",
        "body.fraud": "with `rejected`: the user did not ask for this request",
      },
      summary: "Answer a request (the app calls it)",
      description:
        "Records the device's signed answer (see POST /v1/approvals/{reference}/status for what is checked). A reference that is not this device's is UpdateTransactionReferenceCodeNotFound. The final state is a compare-and-set: of concurrent answers, one wins." +
        signed,
      errors: [
        ...deviceErrors,
        "UpdateTransactionReferenceCodeNotFound",
        "UpdateTransactionApprovalCodeMissmatch",
        "UpdateTransactionStatusInvalid",
        "UpdateTransactionStatusFailed",
        "UnsupportedMediaType",
        "PayloadTooLarge",
      ],
      public: true,
      request: { decision: "approved", approvalCode: "5mRlV0oZ1cQ8…" },
      response: { reference: "7K3M9QX2B4T8V1ZD", status: "approved" },
    },
    "PUT /app/v1/web-push": {
      fields: subscriptionFields("body."),
      summary: "Register the device's Web Push subscription",
      description:
        "Registers or replaces where the server sends Web Push messages (RFC 8030, encrypted per RFC 8291, VAPID-signed) when a request is created for the device. The message only names the request; the app fetches it over its signed channel. Safe to repeat." +
        signed,
      errors: [...deviceErrors, "InvalidDeviceConfig", "UnsupportedMediaType", "PayloadTooLarge"],
      public: true,
      request: {
        endpoint: "https://push.example.net/v2/aBcD",
        keys: {
          p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
          auth: "tBHItJI5svbpez7KI4CCXg",
        },
      },
      response: {
        serial: "PUSH0A1B2C3D4E",
        vapidPublicKey:
          "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
      },
    },
  },
};
