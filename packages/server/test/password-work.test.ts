import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const DAY = 86_400_000;

for (const backend of backends) {
  suite(`password checks spend the same Argon2id work on every path (${backend})`, () => {
    let s: TestServer;
    let computations = 0;
    before(async () => {
      s = await startTestServer(backend);
      // Counts every Argon2id computation of this in-process server: a refusal that skipped the
      // work would answer measurably faster and tell an attacker which check failed.
      const hasher = s.server.ctx.passwords;
      const { hash, verify, verifyNothing } = hasher;
      hasher.hash = (...args) => {
        computations += 1;
        return hash.apply(hasher, args);
      };
      hasher.verify = (...args) => {
        computations += 1;
        return verify.apply(hasher, args);
      };
      hasher.verifyNothing = (...args) => {
        computations += 1;
        return verifyNothing.apply(hasher, args);
      };
    });
    after(() => s.close());

    test("unknown, disabled, expired, no password, wrong, locked (right and wrong) and right: one computation each", async () => {
      const { apiKey } = await s.tenant(undefined, { passwordMaxFailures: 2, lockoutBaseSeconds: 60 });
      const newUser = async (username: string, extra: Record<string, unknown> = {}) => {
        const r = await s.api("POST", "/v1/users", {
          apiKey,
          body: { username, password: "correct horse", ...extra },
          scenario: "password work: setup",
        });
        assert.equal(r.status, 201);
      };
      await newUser("wren");
      await newUser("xena", { disabled: true });
      await newUser("yuri", { expiresAt: s.clock.now() + DAY });
      const passwordless = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "zoe" },
        scenario: "password work: setup",
      });
      assert.equal(passwordless.status, 201);
      s.clock.advance(DAY);
      const cases = [
        ["nobody", "correct horse", ApiReturnCode.InvalidPartnerUserLogin],
        ["xena", "correct horse", ApiReturnCode.PartnerUserLoginDisabled],
        ["yuri", "correct horse", ApiReturnCode.AccountExpired],
        ["zoe", "correct horse", ApiReturnCode.PartnerUserLoginFailed],
        ["wren", "wrong horse", ApiReturnCode.PartnerUserLoginFailed],
        ["wren", "wrong horse", ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded],
        ["wren", "correct horse", ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded],
        ["wren", "wrong horse", ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded],
      ] as const;
      for (const [username, password, code] of cases) {
        computations = 0;
        const r = await s.api("POST", "/v1/auth/password", {
          apiKey,
          body: { username, password },
          scenario: "password work: refusal",
        });
        assert.equal(r.body.errorCode, code, `${username}: ${r.body.errorMessage}`);
        assert.equal(computations, 1, `${username}, ${password}: ${r.body.errorMessage}`);
      }
      s.clock.advance(60_000);
      computations = 0;
      const right = await s.api("POST", "/v1/auth/password", {
        apiKey,
        body: { username: "wren", password: "correct horse" },
        scenario: "password work: right",
      });
      assert.equal(right.status, 200);
      assert.equal(computations, 1);
    });
  });
}
