import assert from "node:assert/strict";
import { insertSealedAuthenticator } from "../../src/authenticators/authenticator-secret.ts";
import type { ApiResponse } from "./api-client.ts";
import type { TestServer } from "./test-server.ts";

/** One tenant of a test server, as the anti-pumping tests use it. */
export interface LimitsTenant {
  readonly s: TestServer;
  readonly apiKey: string;
  readonly tenantId: string;
}

export function call(
  t: LimitsTenant,
  method: string,
  path: string,
  body: unknown,
  scenario: string,
  source?: string,
): Promise<ApiResponse> {
  return t.s.api(method, path, {
    apiKey: t.apiKey,
    body,
    scenario,
    ...(source === undefined ? {} : { source }),
  });
}

export async function newUser(t: LimitsTenant, username: string): Promise<string> {
  const r = await call(
    t,
    "POST",
    "/v1/users",
    { username, password: "correct horse battery" },
    "sending limits: setup",
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const row = await t.s.server.ctx.database.db
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", t.tenantId)
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A verified challenge device stored through the store itself, without a send: for destinations
 * no transport here can deliver to (SMS), and for setups that must not use up any sending limit.
 */
export async function storedDevice(
  t: LimitsTenant,
  userId: string,
  serial: string,
  type: "sms" | "voice" | "email",
  destination: string,
): Promise<void> {
  const fields = { tenant_id: t.tenantId, serial, type, user_id: userId, activated: 1 };
  const device = { ...fields, algorithm: "none", digits: 6, period: null, position: 0, seed_revealed: 0 };
  assert.ok(
    await insertSealedAuthenticator(t.s.server.ctx, device, Buffer.from(destination), t.s.clock.now()),
  );
}

/** Sends a code to the user's device (POST /v1/auth/challenge). */
export function sendCode(
  t: LimitsTenant,
  username: string,
  serial: string,
  scenario: string,
  source?: string,
): Promise<ApiResponse> {
  return call(t, "POST", "/v1/auth/challenge", { username, serial }, scenario, source);
}

/** Every answer of a burst is `passed` or RateLimited; returns how many passed. */
export function passedOrLimited(results: readonly ApiResponse[], passed: number): number {
  for (const r of results)
    assert.ok(r.body.errorCode === passed || r.status === 429, `${r.status} ${JSON.stringify(r.body)}`);
  return results.filter((r) => r.body.errorCode === passed).length;
}
