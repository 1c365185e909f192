import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode as C } from "@tessera/codes";
import { auditedOutcomes, PASSWORD, policyFixture } from "./helpers/policies.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const WEDNESDAY_10_UTC = Date.UTC(2026, 0, 7, 10, 0);

/**
 * The address rule over IPv4 and IPv6 client addresses other than loopback. Test servers run the
 * production default (no trusted proxies), where the client address is the socket's: this suite
 * starts its own server trusting the loopback proxy, so X-Forwarded-For can stand in for clients
 * at documentation addresses (no traffic leaves loopback).
 */
for (const backend of backends) {
  suite(`access policies: client addresses behind a trusted proxy (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend, { flags: { trustedProxies: "127.0.0.1/32" } });
    });
    after(async () => {
      await s.close();
    });

    test("IPv4 and IPv6 CIDR ranges admit the addresses inside and deny the others", async () => {
      s.clock.set(WEDNESDAY_10_UTC);
      const f = await policyFixture(s);
      await f.put("app", {
        clientAddresses: { ranges: ["203.0.113.0/24", "2001:db8::/32"], mode: "enforce" },
      });
      for (const [source, code] of [
        ["203.0.113.9", 0],
        ["203.0.114.9", C.SSOPolicyClientIPInvalid],
        ["2001:db8:ffff::1", 0],
        ["2001:db9::1", C.SSOPolicyClientIPInvalid],
        ["::ffff:203.0.113.10", 0],
      ] as const) {
        const r = await s.api("POST", "/v1/auth/password", {
          scenario: "policies: address behind proxy",
          apiKey: f.apiKey,
          source,
          body: { username: f.username, password: PASSWORD, app: f.app },
        });
        assert.equal(r.body.errorCode, code, `${source}: ${JSON.stringify(r.body)}`);
      }
      const [event] = await auditedOutcomes(
        s,
        f.apiKey,
        C.SSOPolicyClientIPInvalid,
        "policies: address (audit)",
      );
      assert.match(event?.operation ?? "", /clientAddresses enforce: 2001:db9::1 is outside/);
    });
  });
}
