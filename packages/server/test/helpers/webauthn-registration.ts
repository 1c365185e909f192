import assert from "node:assert/strict";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type { ApiResponse } from "./api-client.ts";
import { type CreateOptions, SoftAuthenticator } from "./soft-authenticator.ts";
import type { TestServer } from "./test-server.ts";

/**
 * Registration through the API with the software authenticator (soft-authenticator.ts): options,
 * the authenticator's answer (bent by `tamper` where a test asks), verify.
 */
export interface Started {
  readonly ceremonyId: string;
  readonly options: Record<string, unknown>;
}

export async function startRegistration(
  s: TestServer,
  apiKey: string,
  body: Record<string, unknown>,
  scenario = "webauthn: registration options",
): Promise<Started> {
  const started = await s.api("POST", "/v1/webauthn/registration/options", { apiKey, body, scenario });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  return {
    ceremonyId: String(started.body.ceremonyId),
    options: started.body.options as Record<string, unknown>,
  };
}

export function verify(
  s: TestServer,
  apiKey: string,
  body: Record<string, unknown>,
  scenario = "webauthn: registration verify",
): Promise<ApiResponse> {
  return s.api("POST", "/v1/webauthn/registration/verify", { apiKey, body, scenario });
}

/** Options for `username`, answered by `authenticator` from `origin` (publicUrl's by default), verified. */
export async function register(
  s: TestServer,
  apiKey: string,
  username: string,
  o: Partial<CreateOptions> & {
    authenticator?: SoftAuthenticator;
    body?: Record<string, unknown>;
    name?: string;
  } = {},
  scenario = "webauthn: register",
): Promise<ApiResponse> {
  const authenticator = o.authenticator ?? new SoftAuthenticator();
  const { ceremonyId, options } = await startRegistration(s, apiKey, { username, ...o.body }, scenario);
  const response = authenticator.create(options, { origin: new URL(s.url).origin, ...o });
  return verify(
    s,
    apiKey,
    { ceremonyId, response, ...(o.name === undefined ? {} : { name: o.name }) },
    scenario,
  );
}

/** authData with its attested credential's COSE key replaced (the credential id is 32 bytes). */
export function withCoseKey(authData: Buffer, key: Map<number, unknown>): Buffer {
  const start = 32 + 1 + 4 + 16;
  const idLength = authData.readUInt16BE(start);
  return Buffer.concat([
    authData.subarray(0, start + 2 + idLength),
    Buffer.from(isoCBOR.encode(key as never)),
  ]);
}

/** authData with its attested credential id replaced by `id` (same length). */
export function withCredentialId(authData: Buffer, id: Buffer): Buffer {
  const start = 32 + 1 + 4 + 16 + 2;
  return Buffer.concat([authData.subarray(0, start), id, authData.subarray(start + id.length)]);
}
