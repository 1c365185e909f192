import assert from "node:assert/strict";
import type { ApiResponse } from "./api-client.ts";
import { type GetOptions, SoftAuthenticator } from "./soft-authenticator.ts";
import type { TestServer } from "./test-server.ts";
import { type U2fKey, u2fKey } from "./u2f-key.ts";

export const ATTACK_APP_ID = "https://id.example.com/u2f/app-id.json";

export interface AttackTenant {
  readonly apiKey: string;
  readonly tenantId: string;
  /** Each user's security key (imported U2F registrations), by username. */
  readonly keys: Record<string, U2fKey & { serial: string }>;
}

/**
 * Fixtures for the WebAuthn attack tests: tenants whose users hold real keys, and the calls of a
 * front end (options, the key's answer, verify). The keys are legacy U2F registrations imported
 * through the API (POST /v1/webauthn/u2f-keys) and signing through the `appid` extension.
 */
export class WebAuthnFixtures {
  readonly s: TestServer;
  readonly origin: string;
  constructor(s: TestServer) {
    this.s = s;
    this.origin = new URL(s.server.ctx.publicUrl).origin;
  }

  async tenant(usernames: readonly string[]): Promise<AttackTenant> {
    const { apiKey, tenant } = await this.s.tenant();
    await this.s.server.ctx.database.db
      .updateTable("tenants")
      .set({ webauthn_u2f_app_id: ATTACK_APP_ID })
      .where("id", "=", tenant.id)
      .execute();
    const keys: AttackTenant["keys"] = {};
    for (const username of usernames) {
      await this.s.api("POST", "/v1/users", {
        apiKey,
        body: { username },
        scenario: "webauthn attacks: setup",
      });
      const key = u2fKey(ATTACK_APP_ID);
      const r = await this.s.api("POST", "/v1/webauthn/u2f-keys", {
        apiKey,
        body: {
          username,
          keyHandle: key.keyHandle,
          publicKey: key.publicKey,
          appId: ATTACK_APP_ID,
          version: "U2F_V2",
        },
        scenario: "webauthn attacks: setup",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      keys[username] = { ...key, serial: String((r.body.key as { serial: string }).serial) };
    }
    return { apiKey, tenantId: tenant.id, keys };
  }

  async options(
    apiKey: string,
    body: Record<string, unknown>,
    scenario = "webauthn attacks: options",
  ): Promise<{ ceremonyId: string; options: Record<string, unknown> }> {
    const r = await this.s.api("POST", "/v1/webauthn/authentication/options", { apiKey, body, scenario });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { ceremonyId: String(r.body.ceremonyId), options: r.body.options as Record<string, unknown> };
  }

  /** `key` answers `options` as a U2F key does (no UV, signed under the AppID). */
  sign(key: U2fKey, options: Record<string, unknown>, o: Partial<GetOptions> = {}): Record<string, unknown> {
    return new SoftAuthenticator().get(options, {
      origin: this.origin,
      uv: false,
      credential: key.credential,
      appId: ATTACK_APP_ID,
      ...o,
    });
  }

  verify(apiKey: string, body: unknown, scenario = "webauthn attacks: verify"): Promise<ApiResponse> {
    return this.s.api("POST", "/v1/webauthn/authentication/verify", { apiKey, body, scenario });
  }
}

/** Asserts a refusal: the status, the code and (when given) the field it names. */
export function assertRefused(r: ApiResponse, status: number, code: number, field?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.errorCode, code, JSON.stringify(r.body));
  if (field !== undefined) assert.equal(r.body.field, field, JSON.stringify(r.body));
}
