import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { openDatabase } from "../src/storage/database.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { PASSWORD } from "./helpers/policies.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

/**
 * The daily allowance is a counter row raised by one conditional upsert, so it holds across server
 * processes: a burst of right sign-ins spread over two `tessera start` processes on one PostgreSQL
 * database gets exactly the allowance through. (These processes run on the real clock; the policy
 * has only the allowance rule, counted per UTC day.)
 */
suite("daily allowance across two server processes on PostgreSQL", () => {
  let pair: ProcessPair;
  const app = "burst-app";
  before(async () => {
    pair = await startProcessPair("allowance", "policies two processes: setup");
  });
  after(() => pair.close());

  const call = (server: ServerProcess, method: string, path: string, body: unknown, scenario: string) =>
    apiRequest(`${server.url}${path}`, {
      method,
      scenario,
      headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  test("N concurrent sign-ins over both processes against an allowance of K: exactly K pass", async () => {
    const { a, b } = pair;
    const setup = "policies two processes: setup";
    // Concurrent right passwords are in-flight attempts that the account lockout counts (default
    // 5); this test is about the allowance, so it raises the tenant's limit for itself.
    assert.equal((await call(a, "PATCH", "/v1/tenant", { passwordMaxFailures: 100 }, setup)).status, 200);
    const user = await call(a, "POST", "/v1/users", { username: "burst", password: PASSWORD }, setup);
    assert.equal(user.status, 201);
    // The apps API is another part's: the app row is written directly, as its store would.
    const database = await openDatabase({
      dataDir: pair.database.dataDir,
      databaseUrl: pair.database.databaseUrl,
    });
    try {
      const tenant = await database.db.selectFrom("tenants").select("id").executeTakeFirstOrThrow();
      await database.db
        .insertInto("sso_apps")
        .values({
          client_id: app,
          tenant_id: tenant.id,
          name: "Burst",
          kind: "native",
          secret_enc: null,
          redirect_uris: "[]",
          post_logout_redirect_uris: "[]",
          grant_types: JSON.stringify(["authorization_code"]),
          scopes: "openid",
          second_factors: "[]",
          require_second_factor: 0,
          first_party: 1,
          created_at: Date.now(),
          updated_at: Date.now(),
        })
        .execute();
    } finally {
      await database.close();
    }
    const K = 5;
    const policy = { dailyAllowance: { maxSignIns: K, timeZone: "UTC", mode: "enforce" } };
    assert.equal((await call(b, "PUT", `/v1/policies/apps/${app}`, policy, setup)).status, 200);

    const N = 24;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        call(
          i % 2 === 0 ? a : b,
          "POST",
          "/v1/auth/password",
          { username: "burst", password: PASSWORD, app },
          "policies two processes: burst",
        ),
      ),
    );
    const codes = results.map((r) => r.body.errorCode);
    assert.equal(codes.filter((c) => c === 0).length, K, codes.join(","));
    assert.equal(codes.filter((c) => c === ApiReturnCode.SSOPolicyNoDailyAccessRestriction).length, N - K);
    const again = await call(
      a,
      "POST",
      "/v1/auth/password",
      { username: "burst", password: PASSWORD, app },
      "policies two processes: after",
    );
    assert.equal(again.body.errorCode, ApiReturnCode.SSOPolicyNoDailyAccessRestriction);
  });
});
