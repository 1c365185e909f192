import { generateKeyPairSync, type KeyObject, randomUUID, sign } from "node:crypto";
import type { ServerContext } from "../../src/app/server-context.ts";
import { insertApprovalRequest } from "../../src/approvals/approval-store.ts";
import { newReference } from "../../src/approvals/new-reference.ts";
import { appSigningString } from "../../src/push/app-request-signature.ts";
import { type ApiResponse, apiRequest } from "./api-client.ts";

/**
 * A phone app in the test: its own key pair, and every request signed as the app protocol says
 * (the signing string is the server's own appSigningString; the reference app re-implements it).
 * Timestamps follow the server's clock (`now`) and grow by at least 1 ms per request.
 */
export class TestPushApp {
  readonly algorithm: "ed25519" | "p256";
  readonly privateKey: KeyObject;
  readonly publicKey: string;
  serial = "";
  #last = 0;
  readonly #baseUrl: string;
  readonly #now: () => number;

  constructor(baseUrl: string, now: () => number, algorithm: "ed25519" | "p256" = "ed25519") {
    this.#baseUrl = baseUrl;
    this.#now = now;
    this.algorithm = algorithm;
    const pair =
      algorithm === "ed25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey.export({ format: "der", type: "spki" }).toString("base64url");
  }

  nextTimestamp(): string {
    this.#last = Math.max(this.#now(), this.#last + 1);
    return String(this.#last);
  }

  sign(data: Buffer): string {
    return (
      this.algorithm === "ed25519"
        ? sign(null, data, this.privateKey)
        : sign("sha256", data, { key: this.privateKey, dsaEncoding: "ieee-p1363" })
    ).toString("base64url");
  }

  /** The signed headers of one request; `timestamp` overrides the clock (replays, skew). */
  headers(
    method: string,
    path: string,
    body: string,
    timestamp = this.nextTimestamp(),
  ): Record<string, string> {
    return {
      "tessera-device": this.serial,
      "tessera-timestamp": timestamp,
      "tessera-signature": this.sign(appSigningString(method, path, timestamp, Buffer.from(body, "utf8"))),
      ...(body === "" ? {} : { "content-type": "application/json" }),
    };
  }

  /** POSTs the enrolment with a proof of possession; remembers the serial on success. */
  async enrol(url: string, scenario: string, extra: Record<string, unknown> = {}): Promise<ApiResponse> {
    const path = new URL(url).pathname;
    const body = JSON.stringify({ algorithm: this.algorithm, publicKey: this.publicKey, ...extra });
    const timestamp = this.nextTimestamp();
    const response = await apiRequest(`${this.#baseUrl}${path}`, {
      method: "POST",
      scenario,
      headers: {
        "content-type": "application/json",
        "tessera-timestamp": timestamp,
        "tessera-signature": this.sign(appSigningString("POST", path, timestamp, Buffer.from(body))),
      },
      body,
    });
    if (response.body.errorCode === 0) this.serial = String(response.body.serial);
    return response;
  }

  /** A signed request; `headers` replace the signed ones (tampering tests). */
  call(
    method: string,
    path: string,
    scenario: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<ApiResponse> {
    const body = options.body === undefined ? "" : JSON.stringify(options.body);
    return apiRequest(`${this.#baseUrl}${path}`, {
      method,
      scenario,
      headers: { ...this.headers(method, path, body), ...options.headers },
      ...(body === "" ? {} : { body }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
}

/** A pending request for a device, as the sign-in and approval parts insert them. */
export async function insertPendingRequest(
  ctx: ServerContext,
  device: { id: string; tenant_id: string; user_id: string | null },
  options: { kind?: "sign-in" | "transaction"; ttlMs?: number; details?: Record<string, unknown> } = {},
) {
  const now = ctx.clock.now();
  const kind = options.kind ?? "transaction";
  const row = {
    id: randomUUID(),
    reference: newReference(),
    tenant_id: device.tenant_id,
    user_id: device.user_id ?? "",
    authenticator_id: device.id,
    kind,
    context: JSON.stringify({ app: "Test bank", sourceIp: "203.0.113.7" }),
    details:
      kind === "transaction"
        ? JSON.stringify(options.details ?? { amount: "12.50", currency: "EUR", payee: "Shop" })
        : null,
    number_to_match: kind === "sign-in" ? 42 : null,
    status: "pending",
    fraud_reported: 0,
    approval_code: null,
    created_at: now,
    expires_at: now + (options.ttlMs ?? 120_000),
    answered_at: null,
  };
  await insertApprovalRequest(ctx.database.db, row);
  return row;
}
