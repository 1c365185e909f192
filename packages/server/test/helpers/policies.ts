import assert from "node:assert/strict";
import { recordObservedCode } from "@tessera/codes/coverage";
import type { TestServer } from "./test-server.ts";

/**
 * What access-policy tests share: an app row (inserted directly: the apps API is another part's),
 * a user with a password, and the audit read-back that observes a policy outcome's code.
 */
export const PASSWORD = "correct horse battery staple";

export async function insertApp(s: TestServer, tenantId: string, clientId: string): Promise<void> {
  const now = s.clock.now();
  await s.server.ctx.database.db
    .insertInto("sso_apps")
    .values({
      client_id: clientId,
      tenant_id: tenantId,
      name: `App ${clientId}`,
      kind: "native",
      secret_enc: null,
      redirect_uris: JSON.stringify(["http://127.0.0.1/callback"]),
      post_logout_redirect_uris: "[]",
      grant_types: JSON.stringify(["authorization_code"]),
      scopes: "openid",
      second_factors: "[]",
      require_second_factor: 0,
      first_party: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

let counter = 0;

/** A tenant with an app and a user who has a password: what one sign-in scenario needs. */
export async function policyFixture(s: TestServer) {
  counter += 1;
  const { tenant, apiKey } = await s.tenant();
  const app = `app-${process.pid}-${counter}`;
  await insertApp(s, tenant.id, app);
  const username = `user${counter}`;
  const created = await s.api("POST", "/v1/users", {
    scenario: "policies: setup",
    apiKey,
    body: { username, password: PASSWORD },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const userId = (created.body.user as { id: string }).id;
  const signIn = (scenario: string, extra: Record<string, unknown> = {}) =>
    s.api("POST", "/v1/auth/password", {
      scenario,
      apiKey,
      body: { username, password: PASSWORD, app, ...extra },
    });
  const put = (scope: "tenant" | "app", policy: unknown) =>
    s.api("PUT", scope === "tenant" ? "/v1/policies/tenant" : `/v1/policies/apps/${app}`, {
      scenario: "policies: set",
      apiKey,
      body: policy,
    });
  return { tenant, apiKey, app, username, userId, signIn, put };
}

export interface AuditedOutcome {
  readonly operation: string;
  readonly resultCode: number;
  readonly subject: string | null;
  readonly requestId: string | null;
}

/**
 * The tenant's audit events of policy outcomes with this code, read back through GET /v1/audit;
 * each found code is recorded as observed end to end (the audit trail is where outcomes land).
 */
export async function auditedOutcomes(
  s: TestServer,
  apiKey: string,
  code: number,
  scenario: string,
): Promise<AuditedOutcome[]> {
  const read = await s.api("GET", `/v1/audit?resultCode=${code}`, {
    scenario: "policies: audit read",
    apiKey,
  });
  assert.equal(read.status, 200);
  const events = (read.body.events as AuditedOutcome[]).filter((e) =>
    e.operation.startsWith("access policy "),
  );
  for (const e of events) recordObservedCode("api", e.resultCode, scenario);
  return events;
}
