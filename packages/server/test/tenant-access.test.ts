import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { runCli } from "./helpers/run-cli.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

for (const backend of backends) {
  suite(`tenant access (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // Trusts the loopback proxy hop (not the default): these tests vary the client address with
      // X-Forwarded-For to exercise allowlists and per-source lockouts. The default is tested in
      // client-address.test.ts.
      s = await startTestServer(backend, {
        flags: { "apiKeys.failureLimit": 3, "apiKeys.lockoutSeconds": 60, trustedProxies: "127.0.0.1/32" },
      });
    });
    after(() => s.close());

    test("a valid API key reaches the tenant's own settings", async () => {
      const { tenant, apiKey } = await s.tenant();
      const { status, body } = await s.api("GET", "/v1/tenant", { apiKey, scenario: "tenant: valid key" });
      assert.equal(status, 200);
      assert.equal(body.errorCode, ApiReturnCode.Success);
      assert.equal((body.tenant as { id: string }).id, tenant.id);
    });

    test("a missing, malformed, unknown or revoked key is PartnerLoginFailed (401)", async () => {
      const { apiKey } = await s.tenant();
      const forged = `${apiKey.slice(0, -4)}AAAA`;
      const created = await s.api("POST", "/v1/api-keys", {
        apiKey,
        body: { name: "ci" },
        scenario: "api key: create",
      });
      assert.equal(created.status, 201);
      const second = created.body.apiKey as string;
      const id = (created.body.key as { id: string }).id;
      const revoked = await s.api("DELETE", `/v1/api-keys/${id}`, { apiKey, scenario: "api key: revoke" });
      assert.equal(revoked.body.errorCode, 0);
      let n = 10;
      for (const [presented, headers] of [
        [undefined, {}],
        ["not-a-key", {}],
        [forged, {}],
        [second, {}],
        [undefined, { authorization: `Basic ${apiKey}` }],
      ] as const) {
        const r = await s.api("GET", "/v1/tenant", {
          scenario: "tenant: bad key",
          headers,
          source: `192.0.2.${n++}`,
          ...(presented === undefined ? {} : { apiKey: presented }),
        });
        assert.equal(r.status, 401, String(presented));
        assert.equal(r.body.errorCode, ApiReturnCode.PartnerLoginFailed);
        assert.equal(r.body.field, "headers.authorization");
      }
      const again = await s.api("DELETE", `/v1/api-keys/${id}`, {
        apiKey,
        scenario: "api key: revoke twice",
      });
      assert.equal(again.status, 404);
      assert.equal(again.body.errorCode, TesseraApiCode.NotFound);
    });

    test("an expired tenant is AccountExpired; a disabled one cannot authenticate", async () => {
      const { apiKey } = await s.tenant(undefined, { expiresAt: s.clock.now() + 1000 });
      assert.equal(
        (await s.api("GET", "/v1/tenant", { apiKey, scenario: "tenant: not yet expired" })).status,
        200,
      );
      s.clock.advance(1000);
      const expired = await s.api("GET", "/v1/tenant", { apiKey, scenario: "tenant: expired" });
      assert.equal(expired.status, 403);
      assert.equal(expired.body.errorCode, ApiReturnCode.AccountExpired);
      const { apiKey: other } = await s.tenant(undefined, { disabled: true });
      const disabled = await s.api("GET", "/v1/tenant", { apiKey: other, scenario: "tenant: disabled" });
      assert.equal(disabled.body.errorCode, ApiReturnCode.PartnerLoginFailed);
    });

    test("allowed IP ranges: loopback inside passes, outside is SourceAddressNotAllowed", async () => {
      const { apiKey } = await s.tenant(undefined, { allowedIpRanges: ["10.0.0.0/8", "2001:db8::/32"] });
      const inRange = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "10.20.30.40",
        scenario: "tenant: ip in range",
      });
      assert.equal(inRange.status, 200);
      const v6 = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "2001:db8::7",
        scenario: "tenant: ipv6 in range",
      });
      assert.equal(v6.status, 200);
      const outside = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "192.0.2.20",
        scenario: "tenant: ip outside ranges",
      });
      assert.equal(outside.status, 403);
      assert.equal(outside.body.errorCode, TesseraApiCode.SourceAddressNotAllowed);
      const patched = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { allowedIpRanges: ["192.0.2.0/24"] },
        source: "192.0.2.20",
        scenario: "tenant: patch while outside",
      });
      assert.equal(patched.status, 403, "a tenant locked out by its own ranges stays out");
      const bad = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        source: "10.0.0.1",
        body: { allowedIpRanges: ["10.0.0.0/8", "300.1.1.1/8"] },
        scenario: "tenant: bad range",
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.field, "body.allowedIpRanges.1");
    });

    test("repeated key failures lock the source out for bad keys only, until the lockout ends", async () => {
      const { apiKey } = await s.tenant();
      for (let i = 0; i < 3; i += 1) {
        const r = await s.api("GET", "/v1/tenant", {
          apiKey: "tsk_wrong",
          source: "198.51.100.7",
          scenario: "tenant: failure before lockout",
        });
        assert.equal(r.body.errorCode, ApiReturnCode.PartnerLoginFailed);
      }
      const locked = await s.api("GET", "/v1/tenant", {
        apiKey: "tsk_wrong",
        source: "198.51.100.7",
        scenario: "tenant: source locked out",
      });
      assert.equal(locked.status, 429);
      assert.equal(locked.body.errorCode, ApiReturnCode.MaximumLoginPartnerAttempsExceeded);
      const valid = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "198.51.100.7",
        scenario: "tenant: valid key from a locked source",
      });
      assert.equal(valid.status, 200, "a valid key is not locked out by other clients' failures");
      const elsewhere = await s.api("GET", "/v1/tenant", {
        apiKey: "tsk_wrong",
        source: "198.51.100.8",
        scenario: "tenant: other source",
      });
      assert.equal(elsewhere.status, 401, "only the failing source is locked out");
      s.clock.advance(60_000);
      const later = await s.api("GET", "/v1/tenant", {
        apiKey: "tsk_wrong",
        source: "198.51.100.7",
        scenario: "tenant: after lockout",
      });
      assert.equal(later.status, 401);
    });

    test("tessera tenant unlock-source with one IPv6 address clears the lock of its whole /64", async () => {
      for (let i = 0; i < 4; i += 1)
        await s.api("GET", "/v1/tenant", {
          apiKey: "tsk_wrong",
          source: `2001:db8:5:6::${i + 1}`,
          scenario: "tenant: failure before lockout",
        });
      const locked = await s.api("GET", "/v1/tenant", {
        apiKey: "tsk_wrong",
        source: "2001:db8:5:6::99",
        scenario: "tenant: source locked out",
      });
      assert.equal(locked.status, 429, "the /64 counts as one source");
      const { dataDir, databaseUrl } = s.server.ctx.config;
      const data = [
        "--data-dir",
        dataDir,
        ...(databaseUrl === undefined ? [] : ["--database-url", databaseUrl]),
      ];
      const r = await runCli([...data, "tenant", "unlock-source", "2001:db8:5:6:ffff::1", "--json"], {
        env: { TESSERA_LOG_LEVEL: "silent" },
        scenario: "cli: tenant unlock-source",
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).source, "2001:db8:5:6::/64");
      const unlocked = await s.api("GET", "/v1/tenant", {
        apiKey: "tsk_wrong",
        source: "2001:db8:5:6::99",
        scenario: "tenant: failure before lockout",
      });
      assert.equal(unlocked.status, 401);
    });

    test("API-key scopes: an auth key validates, but every other part of the API is PartnerUserLoginFailedNotAdmin", async () => {
      const { apiKey: admin } = await s.tenant();
      const created = await s.api("POST", "/v1/api-keys", {
        apiKey: admin,
        body: { name: "login page", scopes: ["auth"] },
        scenario: "api key: create scoped",
      });
      assert.equal(created.status, 201);
      assert.deepEqual((created.body.key as { scopes: string[] }).scopes, ["auth"]);
      const auth = created.body.apiKey as string;
      await s.api("POST", "/v1/users", {
        apiKey: admin,
        body: { username: "scoped", password: "correct horse battery" },
        scenario: "scopes: setup",
      });
      const login = await s.api("POST", "/v1/auth/password", {
        apiKey: auth,
        body: { username: "scoped", password: "correct horse battery" },
        scenario: "scopes: auth key validates",
      });
      assert.equal(login.status, 200);
      for (const [method, path, body] of [
        ["GET", "/v1/users/scoped", undefined],
        ["POST", "/v1/users/scoped/password", { newPassword: "a new password for sure" }],
        ["POST", "/v1/authenticators", { type: "totp", username: "scoped" }],
        ["GET", "/v1/audit", undefined],
        ["GET", "/v1/link/sites", undefined],
        ["GET", "/v1/api-keys", undefined],
        ["POST", "/v1/api-keys", { name: "escalate", scopes: ["admin"] }],
        ["PATCH", "/v1/tenant", { passwordMaxFailures: 100 }],
      ] as const) {
        const r = await s.api(method, path, {
          apiKey: auth,
          ...(body === undefined ? {} : { body }),
          scenario: "scopes: outside the key's scope",
        });
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserLoginFailedNotAdmin, `${method} ${path}`);
      }
      const relogin = await s.api("POST", "/v1/auth/password", {
        apiKey: admin,
        body: { username: "scoped", password: "correct horse battery" },
        scenario: "scopes: password unchanged",
      });
      assert.equal(relogin.status, 200, "the refused reset changed nothing");
    });

    test("API-key scopes: a key with every scope but admin cannot mint an admin key or manage keys", async () => {
      const { apiKey: admin } = await s.tenant();
      const wide = await s.api("POST", "/v1/api-keys", {
        apiKey: admin,
        body: { name: "almost all", scopes: ["auth", "users", "tokens", "audit", "link"] },
        scenario: "api key: create scoped",
      });
      const key = wide.body.apiKey as string;
      const users = await s.api("GET", "/v1/audit", { apiKey: key, scenario: "scopes: audit scope reads" });
      assert.equal(users.status, 200);
      const escalate = await s.api("POST", "/v1/api-keys", {
        apiKey: key,
        body: { name: "escalate", scopes: ["admin"] },
        scenario: "scopes: privilege escalation",
      });
      assert.equal(escalate.status, 403);
      assert.equal(escalate.body.errorCode, ApiReturnCode.PartnerUserLoginFailedNotAdmin);
      const list = await s.api("GET", "/v1/api-keys", { apiKey: admin, scenario: "api key: list" });
      const keys = list.body.apiKeys as { name: string; scopes: string[] }[];
      // Both keys were made in the same (manual-clock) millisecond: the list orders them by id.
      assert.deepEqual(
        keys.map((k) => [k.name, k.scopes]).sort(),
        [
          ["almost all", ["auth", "users", "tokens", "audit", "link"]],
          ["test", ["admin"]],
        ],
        "no admin key was created, and listings show each key's scopes",
      );
    });

    test("API-key scopes: unknown, empty or duplicated scope lists are a 400 naming the field", async () => {
      const { apiKey } = await s.tenant();
      for (const [scopes, field] of [
        [["auth", "root"], "body.scopes.1"],
        [[], "body.scopes"],
        [["auth", "auth"], "body.scopes"],
        ["admin", "body.scopes"],
      ] as const) {
        const r = await s.api("POST", "/v1/api-keys", {
          apiKey,
          body: { name: "bad", scopes },
          scenario: "api key: bad scopes",
        });
        assert.equal(r.status, 400, JSON.stringify(scopes));
        assert.equal(r.body.field, field, JSON.stringify(scopes));
      }
    });

    test("every /v1 route of the OpenAPI document declares the API-key scope it needs", async () => {
      const response = await fetch(`${s.url}/openapi.json`);
      const document = (await response.json()) as {
        paths: Record<string, Record<string, { security?: { tenantApiKey?: string[] }[] }>>;
      };
      const routes = Object.entries(document.paths).filter(([path]) => path.startsWith("/v1/"));
      assert.ok(routes.length > 30, "the document lists the tenant API");
      for (const [path, operations] of routes) {
        for (const [method, operation] of Object.entries(operations)) {
          const scopes = operation.security?.[0]?.tenantApiKey ?? [];
          assert.equal(scopes.length, 1, `${method.toUpperCase()} ${path} declares one scope`);
          assert.ok(
            ["auth", "users", "tokens", "audit", "link", "admin"].includes(scopes[0] as string),
            `${method.toUpperCase()} ${path}: ${scopes[0]}`,
          );
        }
      }
    });
  });
}
