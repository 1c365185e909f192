import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { reserveAttempt } from "../src/attempts/attempt-limiter.ts";
import { decodeBase32, encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { passwordAttemptPolicy } from "../src/passwords/account-lockout.ts";
import { assertBurstHeld } from "./helpers/burst.ts";
import { oathtoolHotp } from "./helpers/oathtool.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const secretHex = "3132333435363738393031323334353637383930";
const secret32 = encodeBase32(Buffer.from(secretHex, "hex"));
const YEAR = 365 * 86_400_000;

for (const backend of backends) {
  suite(`attempt limits (${backend})`, () => {
    let s: TestServer;
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const newUser = async (apiKey: string) => {
      n += 1;
      const username = `limit${n}`;
      const r = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse" },
        scenario: "limits: setup",
      });
      assert.equal(r.status, 201);
      return username;
    };
    const newToken = async (apiKey: string, username: string) => {
      const r = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "hotp", secret: secret32, username },
        scenario: "limits: setup",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return (r.body.authenticator as { serial: string }).serial;
    };
    const login = (apiKey: string, username: string, password: string, scenario: string) =>
      s.api("POST", "/v1/auth/password", { apiKey, body: { username, password }, scenario });
    const otp = (apiKey: string, username: string, code: string, scenario: string) =>
      s.api("POST", "/v1/auth/otp", { apiKey, body: { username, otp: code }, scenario });

    test("60 concurrent passwords (one right) evaluate at most the limit; locked, right and wrong answer alike", async () => {
      const { apiKey, tenant } = await s.tenant();
      const username = await newUser(apiKey);
      const rightIndex = 37;
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          login(apiKey, username, i === rightIndex ? "correct horse" : `guess${i}`, "limits: password burst"),
        ),
      );
      assertBurstHeld(
        results,
        rightIndex,
        ApiReturnCode.PartnerUserLoginFailed,
        ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
        tenant.passwordMaxFailures,
      );
      // Whatever the burst did, a locked account now answers right and wrong identically.
      for (let i = 0; i < tenant.passwordMaxFailures; i += 1)
        await login(apiKey, username, `again${i}`, "limits: password wrong");
      const right = await login(apiKey, username, "correct horse", "limits: password right while locked");
      const wrong = await login(apiKey, username, "wrong horse", "limits: password wrong while locked");
      assert.equal(right.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      assert.deepEqual(
        { status: right.status, body: right.body },
        { status: wrong.status, body: wrong.body },
      );
    });

    test("concurrent right passwords: up to the limit all succeed; beyond it at most the limit is evaluated and the next one succeeds", async () => {
      const { apiKey, tenant } = await s.tenant();
      const limit = tenant.passwordMaxFailures;
      const username = await newUser(apiKey);
      const rights = (count: number, scenario: string) =>
        Promise.all(Array.from({ length: count }, () => login(apiKey, username, "correct horse", scenario)));
      const within = await rights(limit, "limits: concurrent right passwords within the limit");
      assert.deepEqual(
        within.map((r) => r.status),
        Array(limit).fill(200),
      );
      // Reservations cannot tell a right password from a wrong one before it is checked, so
      // beyond the limit some are refused with the lock; its message must not blame wrong passwords.
      const beyond = await rights(limit * 3, "limits: concurrent right passwords beyond the limit");
      const evaluated = beyond.filter((r) => r.status === 200);
      assert.ok(evaluated.length <= limit, `${evaluated.length} evaluated, limit ${limit}`);
      for (const r of beyond.filter((r) => r.status !== 200)) {
        assert.equal(r.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
        assert.match(r.body.errorMessage, /too many sign-in attempts/);
        assert.doesNotMatch(r.body.errorMessage, /wrong/);
      }
      // The lock a reservation took was lifted by the successes that followed.
      const next = await login(apiKey, username, "correct horse", "limits: right password after the burst");
      assert.equal(next.status, 200);
    });

    test("temporary lock answers carry Retry-After and lockedUntil; permanent ones name the call that clears them", async () => {
      const { apiKey } = await s.tenant(undefined, {
        passwordMaxFailures: 2,
        lockoutBaseSeconds: 60,
        otpMaxFailures: 2,
        otpLockoutSeconds: 60,
        maxConsecutiveFailures: 4,
      });
      const username = await newUser(apiKey);
      const serial = await newToken(apiKey, username);
      const subjects = [
        {
          guess: (right: boolean, scenario: string) =>
            login(apiKey, username, right ? "correct horse" : "wrong horse", scenario),
          wrongCode: ApiReturnCode.PartnerUserLoginFailed,
          lockedCode: ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
          clears: `PATCH /v1/users/${username} {"unlock": true}`,
        },
        {
          guess: (right: boolean, scenario: string) =>
            otp(apiKey, username, right ? oathtoolHotp(secretHex, 0) : "999999", scenario),
          wrongCode: ApiReturnCode.OTPInvalid,
          lockedCode: ApiReturnCode.MaximumFailedOTPRequestsExceeded,
          clears: `POST /v1/authenticators/${serial}/enable`,
        },
      ];
      for (const { guess, wrongCode, lockedCode, clears } of subjects) {
        const wrong = await guess(false, "limits: wrong before a lock");
        assert.equal(wrong.body.errorCode, wrongCode);
        assert.equal(wrong.headers.get("retry-after"), null);
        const locking = await guess(false, "limits: locking guess");
        assert.equal(locking.status, 423);
        assert.equal(locking.body.errorCode, lockedCode);
        assert.equal(locking.headers.get("retry-after"), "60");
        const until = new Date(s.clock.now() + 60_000).toISOString();
        assert.equal(locking.body.lockedUntil, until);
        assert.match(locking.body.errorMessage, /too many sign-in attempts/);
        assert.doesNotMatch(locking.body.errorMessage, /wrong/);
        s.clock.advance(59_500);
        const right = await guess(true, "limits: right while locked");
        assert.equal(right.body.errorCode, lockedCode);
        assert.equal(right.headers.get("retry-after"), "1");
        assert.equal(right.body.lockedUntil, until);
        s.clock.advance(500);
        await guess(false, "limits: wrong after a lock");
        const permanent = await guess(false, "limits: guess that locks for good");
        s.clock.advance(YEAR);
        const refused = await guess(true, "limits: right while locked for good");
        for (const r of [permanent, refused]) {
          assert.equal(r.status, 423);
          assert.equal(r.body.errorCode, lockedCode);
          assert.equal(r.headers.get("retry-after"), null, "a permanent lock has no time to wait for");
          assert.equal(r.body.lockedUntil, undefined);
          assert.ok(r.body.errorMessage.includes(clears), r.body.errorMessage);
        }
      }
    });

    test("40 concurrent codes (one right) evaluate at most the limit; locked, right and wrong answer alike", async () => {
      const { apiKey, tenant } = await s.tenant();
      const username = await newUser(apiKey);
      await newToken(apiKey, username);
      const rightIndex = 23;
      const right = oathtoolHotp(secretHex, 0);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          otp(apiKey, username, i === rightIndex ? right : String(900000 + i), "limits: otp burst"),
        ),
      );
      assertBurstHeld(
        results,
        rightIndex,
        ApiReturnCode.OTPInvalid,
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
        tenant.otpMaxFailures,
      );
    });

    test("token locks double and become permanent after the tenant's total; only enable clears that", async () => {
      const { apiKey } = await s.tenant(undefined, {
        otpMaxFailures: 2,
        otpLockoutSeconds: 60,
        maxConsecutiveFailures: 6,
      });
      const username = await newUser(apiKey);
      const serial = await newToken(apiKey, username);
      const wrongTwice = async () => {
        assert.equal(
          (await otp(apiKey, username, "999990", "limits: otp wrong")).body.errorCode,
          ApiReturnCode.OTPInvalid,
        );
        const locking = await otp(apiKey, username, "999991", "limits: otp locking");
        assert.equal(locking.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      };
      const rightCode = () => otp(apiKey, username, oathtoolHotp(secretHex, 0), "limits: otp right");
      await wrongTwice();
      s.clock.advance(59_999);
      assert.equal((await rightCode()).body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      s.clock.advance(1);
      await wrongTwice();
      // The second lock lasts twice as long.
      s.clock.advance(60_000);
      assert.equal((await rightCode()).body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      s.clock.advance(60_000);
      await wrongTwice();
      // Six consecutive failures: locked for good, whatever the clock says.
      s.clock.advance(YEAR);
      const refused = await rightCode();
      assert.equal(refused.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      assert.match(refused.body.errorMessage, /administrator/);
      const enabled = await s.api("POST", `/v1/authenticators/${serial}/enable`, {
        apiKey,
        scenario: "limits: enable clears a permanent lock",
      });
      assert.equal(enabled.status, 200);
      assert.equal((await rightCode()).body.errorCode, 0);
    });

    test("a success resets the consecutive total; password locks become permanent at the same total", async () => {
      const { apiKey } = await s.tenant(undefined, {
        passwordMaxFailures: 2,
        lockoutBaseSeconds: 1,
        maxConsecutiveFailures: 4,
      });
      const username = await newUser(apiKey);
      const fail = (scenario: string) => login(apiKey, username, "wrong", scenario);
      await fail("limits: password wrong");
      s.clock.advance(1000);
      assert.equal((await login(apiKey, username, "correct horse", "limits: password right")).status, 200);
      for (let i = 0; i < 3; i += 1) {
        await fail("limits: password wrong");
        s.clock.advance(10_000);
      }
      assert.equal((await login(apiKey, username, "correct horse", "limits: password right")).status, 200);
      for (let i = 0; i < 4; i += 1) {
        await fail("limits: password wrong");
        s.clock.advance(10_000);
      }
      s.clock.advance(YEAR);
      const locked = await login(apiKey, username, "correct horse", "limits: password locked for good");
      assert.equal(locked.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      assert.match(locked.body.errorMessage, /administrator/);
      const user = await s.api("GET", `/v1/users/${username}`, { apiKey, scenario: "limits: locked user" });
      const lockedUntil = (user.body.user as { lockedUntil: string | null }).lockedUntil;
      assert.equal(lockedUntil, "9999-12-31T23:59:59.999Z", "locked for good: the end of the time range");
      await s.api("PATCH", `/v1/users/${username}`, {
        apiKey,
        body: { unlock: true },
        scenario: "limits: unlock",
      });
      assert.equal((await login(apiKey, username, "correct horse", "limits: after unlock")).status, 200);
    });

    test("activate and resync count wrong pairs towards the lock and refuse while locked", async () => {
      // Two activation codes (not the default one) so that activate takes the same pairs as resync.
      const { apiKey } = await s.tenant(undefined, {
        otpMaxFailures: 2,
        otpLockoutSeconds: 60,
        activationCodes: 2,
      });
      const username = await newUser(apiKey);
      // A generated secret: the token is not active yet, so activate checks its codes.
      const created = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "hotp", username },
        scenario: "limits: setup",
      });
      const serial = (created.body.authenticator as { serial: string }).serial;
      const uri = new URL(String(created.body.provisioningUri));
      const hex = (decodeBase32(uri.searchParams.get("secret") ?? "") ?? Buffer.alloc(0)).toString("hex");
      const pair = (action: string, otp1: string, otp2: string, scenario: string) =>
        s.api("POST", `/v1/authenticators/${serial}/${action}`, { apiKey, body: { otp1, otp2 }, scenario });
      const good = (first: number) => [oathtoolHotp(hex, first), oathtoolHotp(hex, first + 1)] as const;
      assert.equal(
        (await pair("resync", "000001", "000002", "limits: resync wrong")).body.errorCode,
        ApiReturnCode.OTPInvalid,
      );
      assert.equal(
        (await pair("activate", "000001", "000002", "limits: activate locking")).body.errorCode,
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      );
      for (const action of ["activate", "resync"]) {
        const refused = await pair(action, ...good(3), "limits: pair while locked");
        assert.equal(refused.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      }
      s.clock.advance(60_000);
      assert.equal((await pair("activate", ...good(3), "limits: activate after lock")).status, 200);

      for (const scenario of ["limits: resync wrong", "limits: resync locking"]) {
        await pair("resync", "000001", "000002", scenario);
      }
      assert.equal(
        (await otp(apiKey, username, oathtoolHotp(hex, 5), "limits: otp while locked")).body.errorCode,
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      );
      s.clock.advance(2 * 60_000);
      assert.equal((await pair("resync", ...good(7), "limits: resync after lock")).status, 200);
    });

    test("a reservation never settled (its process died) stays counted as a failure and leaks nothing", async () => {
      const { apiKey, tenant } = await s.tenant(undefined, {
        passwordMaxFailures: 3,
        lockoutBaseSeconds: 60,
      });
      const username = await newUser(apiKey);
      const { db } = s.server.ctx.database;
      const user = await db
        .selectFrom("users")
        .select("id")
        .where("tenant_id", "=", tenant.id)
        .where("username", "=", username)
        .executeTakeFirstOrThrow();
      const policy = passwordAttemptPolicy(tenant);
      for (let i = 0; i < 3; i += 1)
        assert.equal((await reserveAttempt(db, "account", user.id, policy, s.clock.now())).granted, true);
      const refused = await login(
        apiKey,
        username,
        "correct horse",
        "limits: right after abandoned attempts",
      );
      assert.equal(refused.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      s.clock.advance(60_000);
      assert.equal(
        (await login(apiKey, username, "correct horse", "limits: right after the lock")).status,
        200,
      );
    });

    test("codes right for another of the user's tokens, replays and drifted codes do not count", async () => {
      const { apiKey } = await s.tenant(undefined, { otpMaxFailures: 2, otpLockoutSeconds: 600 });
      const username = await newUser(apiKey);
      await newToken(apiKey, username);
      const otherHex = "00112233445566778899aabbccddeeff00112233";
      const other = await s.api("POST", "/v1/authenticators", {
        apiKey,
        body: { type: "hotp", secret: encodeBase32(Buffer.from(otherHex, "hex")), username },
        scenario: "limits: setup",
      });
      assert.equal(other.status, 201);
      for (let counter = 0; counter < 4; counter += 1) {
        const code = oathtoolHotp(otherHex, counter);
        assert.equal((await otp(apiKey, username, code, "limits: other token's code")).body.errorCode, 0);
        assert.equal(
          (await otp(apiKey, username, code, "limits: replayed code")).body.errorCode,
          ApiReturnCode.OTPAlreadyUsed,
        );
      }
      assert.equal(
        (await otp(apiKey, username, oathtoolHotp(secretHex, 50), "limits: drifted code")).body.errorCode,
        ApiReturnCode.TimeDriftInvalid,
      );
      assert.equal(
        (await otp(apiKey, username, oathtoolHotp(secretHex, 0), "limits: first token still usable")).body
          .errorCode,
        0,
      );
    });

    test("maxConsecutiveFailures is bounded: 1 to 100, integers only", async () => {
      const { apiKey } = await s.tenant();
      for (const value of [0, -1, 101, 2 ** 31, 2 ** 53, 1.5, "5", null, "9".repeat(5000)]) {
        const r = await s.api("PATCH", "/v1/tenant", {
          apiKey,
          body: { maxConsecutiveFailures: value },
          scenario: "limits: setting out of bounds",
        });
        assert.equal(r.status, 400, `${value}`);
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.match(r.body.errorMessage, /maxConsecutiveFailures/);
      }
      for (const value of [1, 100]) {
        const r = await s.api("PATCH", "/v1/tenant", {
          apiKey,
          body: { maxConsecutiveFailures: value },
          scenario: "limits: setting",
        });
        assert.equal((r.body.tenant as { maxConsecutiveFailures: number }).maxConsecutiveFailures, value);
      }
      const fresh = await s.tenant();
      assert.equal(fresh.tenant.maxConsecutiveFailures, 100);
    });
  });
}
