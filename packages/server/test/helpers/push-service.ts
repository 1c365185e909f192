import assert from "node:assert/strict";
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface PushMessage {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/**
 * A Web Push service on loopback (RFC 8030): it records each message and answers `status`. With
 * it, a subscriber's keys (RFC 8291): the test decrypts what it receives as the browser would.
 */
export class TestPushService {
  readonly messages: PushMessage[] = [];
  status = 201;
  readonly #server: Server;
  readonly #receiver = createECDH("prime256v1");
  readonly auth = randomBytes(16);
  url = "";

  constructor() {
    this.#receiver.generateKeys();
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        this.messages.push({
          path: request.url ?? "",
          headers: request.headers,
          body: Buffer.concat(chunks),
        });
        response.statusCode = this.status;
        response.end();
      });
    });
  }

  async start(): Promise<this> {
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** The subscription a browser would hand the app for `path` on this service. */
  subscription(path = "/push/device-1") {
    return {
      endpoint: `${this.url}${path}`,
      keys: {
        p256dh: this.#receiver.getPublicKey().toString("base64url"),
        auth: this.auth.toString("base64url"),
      },
    };
  }

  /** RFC 8291 §3.4 with RFC 8188 aes128gcm: one record, padding delimiter 0x02 then zeros. */
  decrypt(body: Buffer): string {
    const salt = body.subarray(0, 16);
    const idLength = body.readUInt8(20);
    const senderPublic = body.subarray(21, 21 + idLength);
    const ciphertext = body.subarray(21 + idLength);
    const shared = this.#receiver.computeSecret(senderPublic);
    const keyInfo = Buffer.concat([
      Buffer.from("WebPush: info\0"),
      this.#receiver.getPublicKey(),
      senderPublic,
    ]);
    const ikm = Buffer.from(hkdfSync("sha256", shared, this.auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
    const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
    const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const padded = Buffer.concat([
      decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
      decipher.final(),
    ]);
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end -= 1;
    assert.equal(padded[end], 2, "the last record ends with the padding delimiter 0x02");
    return padded.subarray(0, end).toString("utf8");
  }
}

/**
 * Checks a VAPID Authorization header (RFC 8292: `vapid t=<JWT>, k=<public key>`): the key is
 * `vapidPublicKey`, the ES256 signature verifies with it, and returns the JWT's claims.
 */
export function verifyVapid(authorization: string, vapidPublicKey: string): Record<string, unknown> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
  assert.ok(match !== null, authorization);
  const [, jwt = "", k = ""] = match;
  assert.equal(k, vapidPublicKey);
  const [header = "", payload = "", signature = ""] = jwt.split(".");
  assert.deepEqual(JSON.parse(Buffer.from(header, "base64url").toString()), { typ: "JWT", alg: "ES256" });
  const point = Buffer.from(k, "base64url");
  const key = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    },
    format: "jwk",
  });
  assert.ok(
    verify(
      "sha256",
      Buffer.from(`${header}.${payload}`),
      { key, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "base64url"),
    ),
    "the VAPID JWT's signature verifies with the VAPID public key",
  );
  return JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
}
