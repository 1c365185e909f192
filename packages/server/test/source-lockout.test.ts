import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** The production defaults (config/settings.ts apiKeys.*); this suite does not change them. */
const FAILURE_LIMIT = 20;
const LOCKOUT_SECONDS = 300;

for (const backend of backends) {
  // A server of its own: the lockout holds for the loopback address every test request comes from.
  suite(`API-key source lockout answers (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    test("a locked-out source is told when to retry: Retry-After and lockedUntil", async () => {
      const { apiKey } = await s.tenant();
      for (let i = 0; i < FAILURE_LIMIT; i += 1) {
        const r = await s.api("GET", "/v1/tenant", {
          apiKey: `bad-${i}`,
          scenario: "source lockout: bad key",
        });
        assert.equal(r.body.errorCode, ApiReturnCode.PartnerLoginFailed);
        assert.equal(r.headers.get("retry-after"), null);
      }
      const until = new Date(s.clock.now() + LOCKOUT_SECONDS * 1000).toISOString();
      const locked = await s.api("GET", "/v1/tenant", { apiKey, scenario: "source lockout: locked" });
      assert.equal(locked.status, 429);
      assert.equal(locked.body.errorCode, ApiReturnCode.MaximumLoginPartnerAttempsExceeded);
      assert.equal(locked.headers.get("retry-after"), String(LOCKOUT_SECONDS));
      assert.equal(locked.body.lockedUntil, until);
      s.clock.advance(LOCKOUT_SECONDS * 1000 - 1);
      const last = await s.api("GET", "/v1/tenant", { apiKey, scenario: "source lockout: locked" });
      assert.equal(last.headers.get("retry-after"), "1");
      s.clock.advance(1);
      assert.equal(
        (await s.api("GET", "/v1/tenant", { apiKey, scenario: "source lockout: over" })).status,
        200,
      );
    });
  });
}
