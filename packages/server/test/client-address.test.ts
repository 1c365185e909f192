import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { ConfigError, loadConfig } from "../src/config/load-config.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** Who the client is: the socket address, unless a configured proxy hop vouches for another. */

const auditedSource = async (s: TestServer, requestId: string | null) =>
  (
    await s.server.ctx.database.db
      .selectFrom("audit_events")
      .select("source_ip")
      .where("request_id", "=", requestId ?? "")
      .executeTakeFirstOrThrow()
  ).source_ip;

for (const backend of backends) {
  suite(`client address with the production default, no trusted proxy (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("X-Forwarded-For does not get a client inside a tenant's allowed ranges", async () => {
      const { apiKey } = await s.tenant(undefined, { allowedIpRanges: ["10.0.0.0/8"] });
      const r = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "10.1.2.3",
        scenario: "client address: forged allowlisted source",
      });
      assert.equal(r.status, 403);
      assert.equal(r.body.errorCode, TesseraApiCode.SourceAddressNotAllowed);
      assert.match(r.body.errorMessage, /127\.0\.0\.1/);
    });

    test("key failures count against the socket address, not a victim named in X-Forwarded-For", async () => {
      for (let i = 0; i < 3; i += 1) {
        const r = await s.api("GET", "/v1/tenant", {
          apiKey: "tsk_wrong",
          source: "198.51.100.77",
          scenario: "client address: forged failure source",
        });
        assert.equal(r.body.errorCode, ApiReturnCode.PartnerLoginFailed);
      }
      const rows = await s.server.ctx.database.db
        .selectFrom("source_failures")
        .select(["source", "failures"])
        .execute();
      assert.deepEqual(
        rows.map((row) => row.source),
        ["127.0.0.1"],
      );
    });

    test("the audit trail records the socket address, not X-Forwarded-For", async () => {
      const { apiKey } = await s.tenant();
      const r = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "192.0.2.99",
        scenario: "client address: forged audit source",
      });
      assert.equal(r.status, 200);
      assert.equal(await auditedSource(s, r.headers.get("x-request-id")), "127.0.0.1");
    });

    test(`the Sandbox Bank default (link.sandbox auto) is ${backend === "postgres" ? "off on PostgreSQL" : "on with SQLite"}`, () => {
      assert.equal(s.server.ctx.config.link.sandbox, "auto");
      assert.equal(s.server.ctx.link.sandboxUrl === undefined, backend === "postgres");
    });
  });

  suite(`client address behind a trusted proxy (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // Loosened on purpose: the test client is the proxy at 127.0.0.1.
      s = await startTestServer(backend, { flags: { trustedProxies: "127.0.0.1/32" } });
    });
    after(() => s.close());

    test("the hop the trusted proxy saw is the client; values a client prepends are ignored", async () => {
      const { apiKey } = await s.tenant(undefined, { allowedIpRanges: ["10.0.0.0/8"] });
      const forged = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "10.1.2.3, 203.0.113.5",
        scenario: "client address: prepended hop",
      });
      assert.equal(forged.status, 403, "the leftmost, client-supplied value does not pass the allowlist");
      assert.equal(forged.body.errorCode, TesseraApiCode.SourceAddressNotAllowed);
      assert.equal(await auditedSource(s, forged.headers.get("x-request-id")), "203.0.113.5");
      const real = await s.api("GET", "/v1/tenant", {
        apiKey,
        source: "10.1.2.3",
        scenario: "client address: proxied client",
      });
      assert.equal(real.status, 200);
      assert.equal(await auditedSource(s, real.headers.get("x-request-id")), "10.1.2.3");
    });
  });
}

test("trustedProxies: empty by default; addresses and CIDR ranges load; anything else is a ConfigError", () => {
  assert.equal(loadConfig({ env: {} }).trustedProxies, "");
  assert.equal(
    loadConfig({ env: { TESSERA_TRUSTED_PROXIES: "10.0.0.0/8, ::1,192.0.2.7" } }).trustedProxies,
    "10.0.0.0/8,::1,192.0.2.7",
  );
  for (const bad of ["10.0.0.0/33", "proxy.example", "10.0.0.0/8,", "*", "true"]) {
    assert.throws(
      () => loadConfig({ env: { TESSERA_TRUSTED_PROXIES: bad } }),
      (error) => error instanceof ConfigError && /trustedProxies/.test(error.message),
      bad,
    );
  }
});
