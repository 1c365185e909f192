import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { type ApiResponse, apiRequest } from "./helpers/api-client.ts";
import { assertActivationBurstHeld } from "./helpers/burst.ts";
import { oathtoolHotp, oathtoolTotp } from "./helpers/oathtool.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const STEP = 30_000;
type Token = { serial: string; type: string; username: string | null; activated: boolean; enabled: boolean };

/** The hex secret of an otpauth:// URI, for oathtool. */
const secretOf = (uri: string) =>
  (decodeBase32(new URL(uri).searchParams.get("secret") ?? "") ?? Buffer.alloc(0)).toString("hex");

for (const backend of backends) {
  suite(`token set-up (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const user = (apiKey: string, username: string) =>
      s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "tokens: setup" });
    /** A token with a generated secret (not activated), and the secret as the phone app has it. */
    const generated = async (apiKey: string, body: Record<string, unknown>) => {
      const r = await s.api("POST", "/v1/authenticators", { apiKey, body, scenario: "tokens: setup" });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const token = r.body.authenticator as Token;
      assert.equal(token.activated, false);
      return { serial: token.serial, hex: secretOf(String(r.body.provisioningUri)) };
    };
    const activate = (apiKey: string, serial: string, body: unknown, scenario: string) =>
      s.api("POST", `/v1/authenticators/${serial}/activate`, { apiKey, body, scenario });
    const otp = (apiKey: string, body: unknown, scenario: string) =>
      s.api("POST", "/v1/auth/otp", { apiKey, body, scenario });

    test("a TOTP token activates with one code from the app, and that code is then spent", async () => {
      const { apiKey } = await s.tenant();
      await user(apiKey, "alice");
      const { serial, hex } = await generated(apiKey, { type: "totp", username: "alice" });
      const drifted = await activate(
        apiKey,
        serial,
        { otp: oathtoolTotp(hex, s.clock.now() + 5 * STEP) },
        "tokens: activate drifted",
      );
      assert.equal(drifted.body.errorCode, ApiReturnCode.TimeDriftInvalid, "outside the validation window");
      const code = oathtoolTotp(hex, s.clock.now() + STEP);
      const done = await activate(apiKey, serial, { otp: code }, "tokens: activate one code");
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal((done.body.authenticator as Token).activated, true);
      const replay = await otp(apiKey, { username: "alice", otp: code }, "tokens: activation code replayed");
      assert.equal(replay.body.errorCode, ApiReturnCode.OTPAlreadyUsed);
      assert.equal(
        (await otp(apiKey, { username: "alice", otp: oathtoolTotp(hex, s.clock.now()) }, "tokens: earlier"))
          .body.errorCode,
        ApiReturnCode.OTPAlreadyUsed,
        "every earlier code is spent too",
      );
      s.clock.advance(2 * STEP);
      const next = await otp(
        apiKey,
        { username: "alice", otp: oathtoolTotp(hex, s.clock.now()) },
        "tokens: code after activation",
      );
      assert.equal(next.body.errorCode, 0);
    });

    test("an HOTP token activates with one code from the look-ahead window", async () => {
      const { apiKey } = await s.tenant();
      const { serial, hex } = await generated(apiKey, { type: "hotp" });
      const far = await activate(apiKey, serial, { otp: oathtoolHotp(hex, 30) }, "tokens: activate hotp far");
      assert.equal(far.body.errorCode, ApiReturnCode.TimeDriftInvalid);
      const done = await activate(apiKey, serial, { otp: oathtoolHotp(hex, 7) }, "tokens: activate hotp");
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(
        [
          (done.body.authenticator as Token).activated,
          (done.body.authenticator as { counter: number }).counter,
        ],
        [true, 8],
      );
      const again = await activate(
        apiKey,
        serial,
        { otp: oathtoolHotp(hex, 7) },
        "tokens: activate replayed",
      );
      assert.equal(
        again.body.errorCode,
        ApiReturnCode.DeviceAlreadyProvisioned,
        "active: no second activation",
      );
    });

    test("activationCodes 2 asks for two consecutive codes; the wrong shape is a 400 naming the field", async () => {
      const { apiKey } = await s.tenant();
      const shape = async (serial: string, action: string, body: unknown, field: string) => {
        const r = await s.api("POST", `/v1/authenticators/${serial}/${action}`, {
          apiKey,
          body,
          scenario: "tokens: activation body of the wrong shape",
        });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.equal(r.body.field, field, JSON.stringify([body, r.body]));
      };
      const one = await generated(apiKey, { type: "totp" });
      await shape(one.serial, "activate", { otp1: "123456", otp2: "123457" }, "body.otp");
      await shape(one.serial, "activate", {}, "body.otp");
      await shape(one.serial, "activate", { otp: "123456", otp2: "123457" }, "body.otp2");
      // Resync always takes two codes: its schema reports the unknown field first, the missing ones after.
      await shape(one.serial, "resync", { otp: "123456" }, "body.otp");

      for (const value of ["9".repeat(5000), 123456, 2 ** 53, null, ["123456"]]) {
        const r = await activate(
          apiKey,
          one.serial,
          { otp: value },
          "tokens: activation code of the wrong type",
        );
        assert.equal(r.status, 400, JSON.stringify(value).slice(0, 20));
        assert.equal(r.body.field, "body.otp");
      }
      for (const value of ["12345", "1234567", "-12345", "1.2345", "12345a", ""]) {
        const r = await activate(apiKey, one.serial, { otp: value }, "tokens: activation code malformed");
        assert.equal(r.body.errorCode, ApiReturnCode.BogusOTP, value);
        assert.equal(r.body.field, "body.otp");
      }

      const patched = await s.api("PATCH", "/v1/tenant", {
        apiKey,
        body: { activationCodes: 2 },
        scenario: "tokens: two activation codes",
      });
      assert.equal((patched.body.tenant as { activationCodes: number }).activationCodes, 2);
      const two = await generated(apiKey, { type: "totp" });
      await shape(two.serial, "activate", { otp: "123456" }, "body.otp1");
      await shape(two.serial, "activate", { otp1: "123456" }, "body.otp2");
      const single = oathtoolTotp(two.hex, s.clock.now());
      await shape(two.serial, "activate", { otp: single }, "body.otp1");
      const pair = await activate(
        apiKey,
        two.serial,
        { otp1: oathtoolTotp(two.hex, s.clock.now() - STEP), otp2: single },
        "tokens: activate two codes",
      );
      assert.equal((pair.body.authenticator as Token).activated, true);

      for (const value of [0, 3, -1, 1.5, 2 ** 31, 2 ** 53, "2", null, "9".repeat(5000)]) {
        const r = await s.api("PATCH", "/v1/tenant", {
          apiKey,
          body: { activationCodes: value },
          scenario: "tokens: activationCodes out of bounds",
        });
        assert.equal(r.status, 400, `${value}`);
        assert.equal(r.body.field, "body.activationCodes");
      }
      const other = await s.tenant();
      const fresh = await s.api("GET", "/v1/tenant", { apiKey: other.apiKey, scenario: "tokens: default" });
      assert.equal((fresh.body.tenant as { activationCodes: number }).activationCodes, 1, "per tenant");
    });

    test("the refusal of a token that is not activated names the call and command that activate it", async () => {
      for (const codes of [1, 2] as const) {
        const { apiKey, tenant } = await s.tenant(undefined, { activationCodes: codes });
        await user(apiKey, "nat");
        const { serial, hex } = await generated(apiKey, { type: "totp", username: "nat" });
        const r = await otp(
          apiKey,
          { username: "nat", otp: oathtoolTotp(hex, s.clock.now()) },
          "tokens: not activated",
        );
        assert.equal(r.status, 409);
        assert.equal(r.body.errorCode, ApiReturnCode.DeviceInvalid);
        const message = String(r.body.errorMessage);
        assert.ok(message.includes(`POST /v1/authenticators/${serial}/activate`), message);
        assert.ok(message.includes(`tessera token activate --tenant ${tenant.name} ${serial}`), message);
        assert.match(message, codes === 1 ? /one code/ : /two consecutive codes/);
      }
    });

    test("with several tokens waiting for activation, the refusal names the one the code came from, else all", async () => {
      const { apiKey } = await s.tenant();
      await user(apiKey, "nia");
      const a = await generated(apiKey, { type: "totp", username: "nia" });
      const b = await generated(apiKey, { type: "totp", username: "nia" });
      const refusal = async (code: string) => {
        const r = await otp(apiKey, { username: "nia", otp: code }, "tokens: several not activated");
        assert.equal(r.status, 409);
        assert.equal(r.body.errorCode, ApiReturnCode.DeviceInvalid);
        return String(r.body.errorMessage);
      };
      for (const [mine, other] of [
        [a, b],
        [b, a],
      ] as const) {
        const message = await refusal(oathtoolTotp(mine.hex, s.clock.now()));
        assert.ok(message.includes(`token ${mine.serial} is not activated yet`), message);
        assert.ok(!message.includes(other.serial), `names only the token the code came from: ${message}`);
        assert.ok(message.includes(`POST /v1/authenticators/${mine.serial}/activate`), message);
      }
      const wrong = await refusal("000000");
      assert.ok(wrong.includes(a.serial) && wrong.includes(b.serial), `a wrong code names all: ${wrong}`);
      assert.equal(wrong.match(/activate (it|the one)/g)?.length, 1, `the remedy is said once: ${wrong}`);
      // Naming the token spent nothing and activated nothing: the same code still activates it.
      const code = oathtoolTotp(b.hex, s.clock.now());
      await refusal(code);
      const done = await activate(apiKey, b.serial, { otp: code }, "tokens: activate after refusal");
      assert.equal(done.status, 200, JSON.stringify(done.body));
    });

    test("looking for the token a code came from counts as a guess: a burst locks the tokens, and then nothing is named", async () => {
      // A low limit keeps the burst short; the production default is exercised by the tests above.
      const { apiKey } = await s.tenant(undefined, { otpMaxFailures: 3 });
      await user(apiKey, "noe");
      const a = await generated(apiKey, { type: "totp", username: "noe" });
      const b = await generated(apiKey, { type: "totp", username: "noe" });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          otp(apiKey, { username: "noe", otp: String(100000 + i) }, "tokens: not activated burst"),
        ),
      );
      assert.ok(results.every((r) => r.body.errorCode === ApiReturnCode.DeviceInvalid));
      // Every token was guessed at most the limit times: one lock each, and the later guesses refused.
      const rows = await s.server.ctx.database.db
        .selectFrom("authenticators")
        .select(["serial", "lock_count", "locked_until", "activated"])
        .where("serial", "in", [a.serial, b.serial])
        .execute();
      for (const row of rows) {
        assert.equal(row.lock_count, 1, `${row.serial} was locked once`);
        assert.ok((row.locked_until ?? 0) > s.clock.now());
        assert.equal(row.activated, 0);
      }
      // A locked token is not evaluated: the right code is answered like a wrong one.
      const right = await otp(
        apiKey,
        { username: "noe", otp: oathtoolTotp(b.hex, s.clock.now()) },
        "tokens: not activated locked",
      );
      const message = String(right.body.errorMessage);
      assert.ok(message.includes(a.serial) && message.includes(b.serial), message);
      for (const row of rows)
        assert.ok(
          message.includes(
            `token ${row.serial} is locked after too many attempts until ${new Date(row.locked_until ?? 0).toISOString()}`,
          ),
          message,
        );
      const locked = await activate(
        apiKey,
        b.serial,
        { otp: oathtoolTotp(b.hex, s.clock.now()) },
        "tokens: activate locked",
      );
      assert.equal(locked.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
    });

    const tokenRow = async (serial: string) => ({
      ...(await s.server.ctx.database.db
        .selectFrom("authenticators")
        .select(["failures", "consecutive_failures", "lock_count", "locked_until"])
        .where("serial", "=", serial)
        .executeTakeFirstOrThrow()),
    });

    test("with one token waiting, validation codes count nothing (the answer cannot differ), so activation still works", async () => {
      const { apiKey } = await s.tenant();
      await user(apiKey, "ona");
      const { serial, hex } = await generated(apiKey, { type: "totp", username: "ona" });
      // More codes than the lock allows (default 5), wrong and right: the same answer, nothing counted.
      const codes = [
        "000000",
        "111111",
        "222222",
        "333333",
        "444444",
        "555555",
        oathtoolTotp(hex, s.clock.now()),
      ];
      for (const code of codes) {
        const r = await otp(apiKey, { username: "ona", otp: code }, "tokens: not activated");
        assert.equal(r.status, 409, JSON.stringify(r.body));
        assert.ok(String(r.body.errorMessage).includes(`token ${serial} is not activated yet`));
      }
      assert.deepEqual(await tokenRow(serial), {
        failures: 0,
        consecutive_failures: 0,
        lock_count: 0,
        locked_until: null,
      });
      const done = await activate(apiKey, serial, { otp: oathtoolTotp(hex, s.clock.now()) }, "tokens: setup");
      assert.equal(done.status, 200, JSON.stringify(done.body));
    });

    test("the not-activated refusal of a locked token says it is locked and until when", async () => {
      const { apiKey } = await s.tenant();
      await user(apiKey, "ola");
      const { serial } = await generated(apiKey, { type: "totp", username: "ola" });
      for (const code of ["000000", "111111", "222222", "333333", "444444"])
        await activate(apiKey, serial, { otp: code }, "tokens: setup");
      const { locked_until } = await tokenRow(serial);
      assert.ok(locked_until !== null && locked_until > s.clock.now(), "five wrong activation codes lock it");
      const r = await otp(apiKey, { username: "ola", otp: "999999" }, "tokens: not activated locked");
      assert.equal(r.status, 409);
      const message = String(r.body.errorMessage);
      assert.ok(message.includes(`token ${serial} is not activated yet`), message);
      assert.ok(
        message.includes(
          `token ${serial} is locked after too many attempts until ${new Date(locked_until).toISOString()}`,
        ),
        message,
      );
      s.clock.advance(locked_until - s.clock.now() + 1);
      const later = await otp(apiKey, { username: "ola", otp: "999999" }, "tokens: not activated");
      assert.ok(
        !String(later.body.errorMessage).includes("locked"),
        `an ended lock is not mentioned: ${later.body.errorMessage}`,
      );
    });

    /** A user with an active token A and a token B waiting for activation. */
    const activeAndWaiting = async (apiKey: string, username: string) => {
      await user(apiKey, username);
      const a = await generated(apiKey, { type: "totp", username });
      const done = await activate(
        apiKey,
        a.serial,
        { otp: oathtoolTotp(a.hex, s.clock.now()) },
        "tokens: setup",
      );
      assert.equal(done.status, 200, JSON.stringify(done.body));
      s.clock.advance(2 * STEP);
      const b = await generated(apiKey, { type: "totp", username });
      return { a, b };
    };

    test("a code of a waiting token B, sent while token A is active, names B and costs A nothing", async () => {
      const { apiKey } = await s.tenant();
      const { a, b } = await activeAndWaiting(apiKey, "oto");
      // More times than A's lock allows: each is a code of another token of the user, no guess on A.
      for (let i = 0; i < 6; i++) {
        const r = await otp(
          apiKey,
          { username: "oto", otp: oathtoolTotp(b.hex, s.clock.now()) },
          "tokens: code of a waiting token",
        );
        assert.equal(r.status, 409, JSON.stringify(r.body));
        assert.equal(r.body.errorCode, ApiReturnCode.DeviceInvalid);
        const message = String(r.body.errorMessage);
        assert.ok(message.includes(`token ${b.serial} is not activated yet`), message);
        assert.ok(!message.includes(a.serial), message);
      }
      for (const serial of [a.serial, b.serial])
        assert.deepEqual(await tokenRow(serial), {
          failures: 0,
          consecutive_failures: 0,
          lock_count: 0,
          locked_until: null,
        });
      // A wrong code is a guess on both tokens, and is just invalid.
      const wrong = await otp(apiKey, { username: "oto", otp: "000000" }, "tokens: wrong code, one waiting");
      assert.equal(wrong.body.errorCode, ApiReturnCode.OTPInvalid);
      assert.equal((await tokenRow(a.serial)).failures, 1);
      assert.equal((await tokenRow(b.serial)).failures, 1);
      const valid = await otp(
        apiKey,
        { username: "oto", otp: oathtoolTotp(a.hex, s.clock.now()) },
        "tokens: setup",
      );
      assert.equal(valid.body.errorCode, 0, JSON.stringify(valid.body));
      const done = await activate(
        apiKey,
        b.serial,
        { otp: oathtoolTotp(b.hex, s.clock.now()) },
        "tokens: setup",
      );
      assert.equal(done.status, 200, JSON.stringify(done.body));
    });

    test("a burst of codes against an active token and a waiting one evaluates each at most the limit times", async () => {
      const { apiKey } = await s.tenant();
      const { a, b } = await activeAndWaiting(apiKey, "ove");
      const right = oathtoolTotp(b.hex, s.clock.now());
      const codes = Array.from({ length: 30 }, (_, i) => (i === 20 ? right : String(100000 + i)));
      const results = await Promise.all(
        codes.map((code) => otp(apiKey, { username: "ove", otp: code }, "tokens: waiting burst")),
      );
      const evaluated = results.filter(
        (r) => r.body.errorCode !== ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      );
      for (const r of evaluated)
        assert.ok(
          ([ApiReturnCode.OTPInvalid, ApiReturnCode.DeviceInvalid] as number[]).includes(
            r.body.errorCode as number,
          ),
          JSON.stringify(r.body),
        );
      // Five wrong codes lock A; the one right code for B is no guess and may free one more.
      assert.ok(evaluated.length <= 6, `evaluated ${evaluated.length}`);
      assert.ok(results.filter((r) => r.body.errorCode === ApiReturnCode.OTPInvalid).length <= 5);
      for (const serial of [a.serial, b.serial]) assert.ok((await tokenRow(serial)).lock_count <= 1, serial);
      assert.equal((await tokenRow(a.serial)).lock_count, 1, "A was locked by the wrong codes");
    });

    test("activating a token that is already active is refused without checking any code, naming resync", async () => {
      const { apiKey } = await s.tenant();
      await user(apiKey, "alice");
      const { serial, hex } = await generated(apiKey, { type: "totp", username: "alice" });
      const first = await activate(
        apiKey,
        serial,
        { otp: oathtoolTotp(hex, s.clock.now()) },
        "tokens: setup",
      );
      assert.equal(first.body.errorCode, 0, JSON.stringify(first.body));
      s.clock.advance(2 * STEP);
      const next = oathtoolTotp(hex, s.clock.now());
      // More wrong codes than the lock allows, then the right one: none of them is evaluated.
      for (const code of ["000000", "111111", "222222", "333333", "444444", "555555", next]) {
        const again = await activate(apiKey, serial, { otp: code }, "tokens: activate an active token");
        assert.equal(again.status, 409, JSON.stringify(again.body));
        assert.equal(again.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);
        assert.ok(
          String(again.body.errorMessage).includes(`POST /v1/authenticators/${serial}/resync`),
          String(again.body.errorMessage),
        );
      }
      const shown = await s.api("GET", `/v1/authenticators/${serial}`, { apiKey, scenario: "tokens: setup" });
      assert.deepEqual(
        [(shown.body.authenticator as { lockedUntil: unknown }).lockedUntil],
        [null],
        "no attempt was counted",
      );
      const valid = await otp(
        apiKey,
        { username: "alice", otp: next },
        "tokens: code after refused activation",
      );
      assert.equal(valid.body.errorCode, 0, "the code was not spent by the refused activation");
    });

    test("activation is no second way in: a disabled or used-up holder's active token and a pool token are refused", async () => {
      const { apiKey } = await s.tenant();
      const imported = async (body: Record<string, unknown>) => {
        const r = await s.api("POST", "/v1/authenticators", {
          apiKey,
          body: { type: "hotp", secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", ...body },
          scenario: "tokens: setup",
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return (r.body.authenticator as Token).serial;
      };
      const hex = Buffer.from("12345678901234567890").toString("hex");
      // The reviewer's repro: validation refuses the disabled holder, activation must not accept.
      await user(apiKey, "alice");
      const alices = await imported({ username: "alice" });
      await s.api("PATCH", "/v1/users/alice", {
        apiKey,
        body: { disabled: true },
        scenario: "tokens: setup",
      });
      const refused = await otp(
        apiKey,
        { username: "alice", otp: oathtoolHotp(hex, 0) },
        "tokens: disabled holder",
      );
      assert.equal(refused.body.errorCode, ApiReturnCode.PartnerUserLoginDisabled);
      const viaActivate = await activate(
        apiKey,
        alices,
        { otp: oathtoolHotp(hex, 1) },
        "tokens: activate disabled holder's active token",
      );
      assert.equal(viaActivate.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);

      await user(apiKey, "max");
      const once = await imported({ username: "max", maxUses: 1 });
      assert.equal(
        (await otp(apiKey, { username: "max", otp: oathtoolHotp(hex, 0) }, "tokens: setup")).body.errorCode,
        0,
      );
      const usedUp = await otp(apiKey, { username: "max", otp: oathtoolHotp(hex, 1) }, "tokens: used up");
      assert.equal(usedUp.body.errorCode, ApiReturnCode.MaximumCardUsesExceeded);
      const usedUpActivate = await activate(
        apiKey,
        once,
        { otp: oathtoolHotp(hex, 2) },
        "tokens: activate used-up token",
      );
      assert.equal(usedUpActivate.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);

      // Resynchronising is refused for them as well, before any code is looked at.
      for (const [serial, code] of [
        [alices, ApiReturnCode.PartnerUserLoginDisabled],
        [once, ApiReturnCode.MaximumCardUsesExceeded],
      ] as const) {
        const resync = await s.api("POST", `/v1/authenticators/${serial}/resync`, {
          apiKey,
          body: { otp1: oathtoolHotp(hex, 3), otp2: oathtoolHotp(hex, 4) },
          scenario: "tokens: resync refused as validation refuses",
        });
        assert.equal(resync.body.errorCode, code);
      }

      const pool = await imported({});
      const poolActivate = await activate(
        apiKey,
        pool,
        { otp: oathtoolHotp(hex, 0) },
        "tokens: activate pool token",
      );
      assert.equal(poolActivate.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);
    });

    test("a new token of a disabled or expired user does not activate, as validation would refuse it", async () => {
      const { apiKey } = await s.tenant();
      await user(apiKey, "dora");
      const dora = await generated(apiKey, { type: "hotp", username: "dora" });
      await s.api("PATCH", "/v1/users/dora", { apiKey, body: { disabled: true }, scenario: "tokens: setup" });
      const disabled = await activate(
        apiKey,
        dora.serial,
        { otp: oathtoolHotp(dora.hex, 0) },
        "tokens: activate for a disabled user",
      );
      assert.equal(disabled.status, 403, JSON.stringify(disabled.body));
      assert.equal(disabled.body.errorCode, ApiReturnCode.PartnerUserLoginDisabled);
      const wrong = await activate(
        apiKey,
        dora.serial,
        { otp: "000000" },
        "tokens: activate for a disabled user",
      );
      assert.equal(
        wrong.body.errorCode,
        ApiReturnCode.PartnerUserLoginDisabled,
        "right and wrong answer alike",
      );

      const expiresAt = new Date(s.clock.now() + STEP).toISOString();
      const ed = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "ed", expiresAt },
        scenario: "tokens: setup",
      });
      assert.equal(ed.status, 201, JSON.stringify(ed.body));
      const eds = await generated(apiKey, { type: "hotp", username: "ed" });
      s.clock.advance(2 * STEP);
      const expired = await activate(
        apiKey,
        eds.serial,
        { otp: oathtoolHotp(eds.hex, 0) },
        "tokens: activate for an expired user",
      );
      assert.equal(expired.body.errorCode, ApiReturnCode.AccountExpired);
      const resync = await s.api("POST", `/v1/authenticators/${eds.serial}/resync`, {
        apiKey,
        body: { otp1: oathtoolHotp(eds.hex, 0), otp2: oathtoolHotp(eds.hex, 1) },
        scenario: "tokens: resync for an expired user",
      });
      assert.equal(resync.body.errorCode, ApiReturnCode.AccountExpired);

      await s.api("PATCH", "/v1/users/dora", {
        apiKey,
        body: { disabled: false },
        scenario: "tokens: setup",
      });
      const done = await activate(apiKey, dora.serial, { otp: oathtoolHotp(dora.hex, 0) }, "tokens: setup");
      assert.equal(done.body.errorCode, 0, "the refused code was neither spent nor counted");
    });

    test("twenty concurrent one-code activations (one right) evaluate at most the limit", async () => {
      const { apiKey } = await s.tenant(undefined, { otpMaxFailures: 3 });
      const { serial, hex } = await generated(apiKey, { type: "hotp" });
      const right = oathtoolHotp(hex, 0);
      const rightIndex = 13;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          activate(
            apiKey,
            serial,
            { otp: i === rightIndex ? right : String(100000 + i) },
            "tokens: activation burst",
          ),
        ),
      );
      assertActivationBurstHeld(
        results,
        rightIndex,
        {
          wrong: ApiReturnCode.OTPInvalid,
          locked: ApiReturnCode.MaximumFailedOTPRequestsExceeded,
          alreadyActive: ApiReturnCode.DeviceAlreadyProvisioned,
        },
        3,
      );
      const after = await activate(
        apiKey,
        serial,
        { otp: oathtoolHotp(hex, 1) },
        "tokens: activate after burst",
      );
      assert.equal(
        after.body.errorCode,
        results[rightIndex]?.body.errorCode === 0
          ? ApiReturnCode.DeviceAlreadyProvisioned
          : ApiReturnCode.MaximumFailedOTPRequestsExceeded,
        "activated once, or the lock holds",
      );
    });

    test("one right code sent ten times at once activates once", async () => {
      // A limit as large as the burst: no reservation can be refused by a lock the burst itself
      // took, so every answer but the one success is the replay refusal (the request read the
      // token before it was activated) or the already-active one (it read it afterwards).
      const { apiKey } = await s.tenant(undefined, { otpMaxFailures: 10 });
      const { serial, hex } = await generated(apiKey, { type: "hotp" });
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          activate(apiKey, serial, { otp: oathtoolHotp(hex, 4) }, "tokens: same activation code at once"),
        ),
      );
      const codes = results.map((r) => r.body.errorCode);
      assert.equal(codes.filter((c) => c === 0).length, 1, JSON.stringify(codes));
      const refused: number[] = [ApiReturnCode.OTPAlreadyUsed, ApiReturnCode.DeviceAlreadyProvisioned];
      assert.ok(
        codes.every((c) => c === 0 || refused.includes(c as number)),
        JSON.stringify(codes),
      );
    });

    test("a user's tokens are listed, and never another tenant's", async () => {
      const a = await s.tenant();
      const b = await s.tenant();
      await user(a.apiKey, "bob");
      await user(b.apiKey, "bob");
      const mine = [
        (await generated(a.apiKey, { type: "totp", username: "bob" })).serial,
        (await generated(a.apiKey, { type: "hotp", username: "bob" })).serial,
      ].sort();
      await generated(a.apiKey, { type: "totp" });
      await generated(b.apiKey, { type: "totp", username: "bob" });
      const list = await s.api("GET", "/v1/users/bob/authenticators", {
        apiKey: a.apiKey,
        scenario: "tokens: user's tokens",
      });
      assert.equal(list.status, 200, JSON.stringify(list.body));
      const tokens = list.body.authenticators as Token[];
      assert.deepEqual(
        tokens.map((t) => t.serial),
        mine,
      );
      assert.ok(tokens.every((t) => t.username === "bob"));
      assert.equal(list.body.nextCursor, null);
      const unknown = await s.api("GET", "/v1/users/nobody/authenticators", {
        apiKey: a.apiKey,
        scenario: "tokens: unknown user's tokens",
      });
      assert.equal(unknown.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      assert.equal(unknown.body.field, "params.username");
    });

    test("GET /v1/authenticators filters and pages by serial, within the tenant", async () => {
      const a = await s.tenant();
      const b = await s.tenant();
      await user(a.apiKey, "carl");
      await user(a.apiKey, "dina");
      const created: { serial: string; type: string; username: string | null; activated: boolean }[] = [];
      for (const [type, username, imported] of [
        ["totp", "carl", false],
        ["hotp", "carl", true],
        ["totp", "dina", true],
        ["totp", null, false],
        ["hotp", null, true],
      ] as const) {
        const body: Record<string, unknown> = { type };
        if (username !== null) body.username = username;
        if (imported) body.secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        const r = await s.api("POST", "/v1/authenticators", {
          apiKey: a.apiKey,
          body,
          scenario: "tokens: setup",
        });
        created.push({ serial: (r.body.authenticator as Token).serial, type, username, activated: imported });
      }
      await generated(b.apiKey, { type: "totp" });
      const disabled = created[4]?.serial ?? "";
      await s.api("POST", `/v1/authenticators/${disabled}/disable`, {
        apiKey: a.apiKey,
        scenario: "tokens: setup",
      });

      const list = async (query: string) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const r: ApiResponse = await s.api(
            "GET",
            `/v1/authenticators?limit=2${query}${cursor === null ? "" : `&cursor=${cursor}`}`,
            { apiKey: a.apiKey, scenario: "tokens: list" },
          );
          assert.equal(r.status, 200, JSON.stringify(r.body));
          seen.push(...(r.body.authenticators as Token[]).map((t) => t.serial));
          cursor = r.body.nextCursor as string | null;
          pages += 1;
        } while (cursor !== null);
        assert.equal(new Set(seen).size, seen.length, "each row once");
        assert.deepEqual(seen, [...seen].sort(), "by serial");
        return { seen, pages };
      };
      const serials = (pick: (t: (typeof created)[number]) => boolean) =>
        created
          .filter(pick)
          .map((t) => t.serial)
          .sort();
      const all = await list("");
      assert.deepEqual(
        all.seen,
        serials(() => true),
        "another tenant's token is never listed",
      );
      assert.equal(all.pages, 3);
      assert.deepEqual(
        (await list("&username=carl")).seen,
        serials((t) => t.username === "carl"),
      );
      assert.deepEqual(
        (await list("&type=hotp")).seen,
        serials((t) => t.type === "hotp"),
      );
      assert.deepEqual(
        (await list("&activated=false")).seen,
        serials((t) => !t.activated),
      );
      assert.deepEqual(
        (await list("&assigned=false")).seen,
        serials((t) => t.username === null),
      );
      assert.deepEqual((await list("&enabled=false")).seen, [disabled]);
      assert.deepEqual(
        (await list("&enabled=true&assigned=true&type=totp")).seen,
        serials((t) => t.username !== null && t.type === "totp"),
      );

      const other = await s.api("GET", "/v1/authenticators?username=carl", {
        apiKey: b.apiKey,
        scenario: "tokens: list another tenant's user",
      });
      assert.equal(other.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      assert.equal(other.body.field, "querystring.username");
    });

    test("extreme query values are a 400 naming the parameter", async () => {
      const { apiKey } = await s.tenant();
      await user(apiKey, "erin");
      const huge = "9".repeat(5000);
      for (const [path, name] of [
        ["/v1/authenticators", "authenticators"],
        ["/v1/users/erin/authenticators", "user's authenticators"],
      ] as const) {
        for (const [param, value] of [
          ["limit", "0"],
          ["limit", "-1"],
          ["limit", String(2 ** 31)],
          ["limit", String(2 ** 53)],
          ["limit", "1.5"],
          ["limit", huge],
          ["cursor", "!!"],
          ["cursor", "bm90LWEtY3Vyc29y"],
          ["cursor", "x".repeat(5000)],
        ] as const) {
          const r = await s.api("GET", `${path}?${param}=${value}`, {
            apiKey,
            scenario: `tokens: bad ${name} query`,
          });
          assert.equal(r.status, 400, `${param}=${value.slice(0, 20)}`);
          assert.equal(r.body.field, `querystring.${param}`);
        }
      }
      for (const [param, value] of [
        ["type", "x".repeat(5000)],
        ["username", "x".repeat(5000)],
        ["activated", "maybe"],
        ["enabled", "2"],
        ["assigned", huge],
        ["limit", ""],
      ] as const) {
        const r = await s.api("GET", `/v1/authenticators?${param}=${value}`, {
          apiKey,
          scenario: "tokens: bad list query",
        });
        assert.equal(r.status, 400, `${param}=${value.slice(0, 20)}`);
        assert.equal(r.body.field, `querystring.${param}`);
      }
    });

    test("the otpauth label stays issuer:username after reprovisioning, by the app and by the page", async () => {
      const { apiKey, tenant } = await s.tenant();
      await user(apiKey, "fay");
      await user(apiKey, "gus");
      // Created for nobody, provisioned, then given to fay and to gus: each new seed names its holder.
      const { serial } = await generated(apiKey, { type: "hotp" });
      const link = async () => {
        const r = await s.api("POST", `/v1/authenticators/${serial}/provisioning-link`, {
          apiKey,
          scenario: "provisioning: link",
        });
        return String(r.body.url).replace(/^https?:\/\/[^/]+/, s.url);
      };
      const byApp = async (scenario: string) => {
        const done = await apiRequest(await link(), {
          method: "POST",
          headers: { accept: "application/json" },
          scenario,
        });
        assert.ok([201, 200].includes(done.status), JSON.stringify(done.body));
        return String(done.body.provisioningUri);
      };
      const byPage = async () => {
        const page = await fetch(await link(), { method: "POST" });
        const href = /href="(otpauth:[^"]+)"/.exec(await page.text())?.[1] ?? "";
        return href.replaceAll("&amp;", "&");
      };
      const label = (uri: string) => {
        const parsed = new URL(uri);
        assert.equal(parsed.searchParams.get("issuer"), tenant.name);
        return decodeURIComponent(parsed.pathname);
      };
      assert.equal(label(await byApp("provisioning: first")), `/${tenant.name}:${serial}`);
      const assign = (username: string, force: boolean) =>
        s.api("POST", `/v1/authenticators/${serial}/assign`, {
          apiKey,
          body: { username, force },
          scenario: "tokens: setup",
        });
      await assign("fay", false);
      assert.equal(label(await byApp("provisioning: second")), `/${tenant.name}:fay`);
      assert.equal(label(await byPage()), `/${tenant.name}:fay`);
      await assign("gus", true);
      await s.api("POST", `/v1/authenticators/${serial}/enable`, { apiKey, scenario: "tokens: setup" });
      assert.equal(label(await byApp("provisioning: second")), `/${tenant.name}:gus`);
      assert.equal(label(await byPage()), `/${tenant.name}:gus`);
    });
  });
}
