import type { KeyObject } from "node:crypto";
import type { Account } from "../state/account.ts";
import { loadPrivateKey, signWith } from "./device-key.ts";
import { answerOf, describeFetchError, REQUEST_TIMEOUT_MS, unreachable } from "./server-answer.ts";
import { appSigningString } from "./signing-string.ts";

/** Hands out the device's next Tessera-Timestamp and remembers it (see Account.lastTimestamp). */
export type TimestampSource = (account: Account) => Promise<string>;

/**
 * The signed half of the app protocol: every request carries Tessera-Device (the serial),
 * Tessera-Timestamp (epoch ms, growing per device) and Tessera-Signature, the device's signature
 * over appSigningString(method, path with query, timestamp, exact body bytes).
 */
export class AppClient {
  readonly account: Account;
  readonly #key: KeyObject;
  readonly #nextTimestamp: TimestampSource;

  constructor(account: Account, nextTimestamp: TimestampSource) {
    this.account = account;
    this.#key = loadPrivateKey(account.privateKey);
    this.#nextTimestamp = nextTimestamp;
  }

  sign(data: Buffer): string {
    return signWith(this.account.algorithm, this.#key, data);
  }

  /** The URL and signed headers of one request (the body is signed byte for byte as sent). */
  async signed(
    method: string,
    pathWithQuery: string,
    body: string,
  ): Promise<{ url: string; headers: Record<string, string> }> {
    const url = new URL(`${this.account.server}${pathWithQuery}`);
    const timestamp = await this.#nextTimestamp(this.account);
    const signingPath = `${url.pathname}${url.search}`;
    return {
      url: url.href,
      headers: {
        "tessera-device": this.account.serial,
        "tessera-timestamp": timestamp,
        "tessera-signature": this.sign(
          appSigningString(method, signingPath, timestamp, Buffer.from(body, "utf8")),
        ),
        ...(body === "" ? {} : { "content-type": "application/json" }),
      },
    };
  }

  async call(method: string, pathWithQuery: string, payload?: unknown): Promise<Record<string, unknown>> {
    const body = payload === undefined ? "" : JSON.stringify(payload);
    const { url, headers } = await this.signed(method, pathWithQuery, body);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === "" ? {} : { body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(this.account.server, describeFetchError(error));
    }
    return answerOf(this.account.server, response);
  }
}
