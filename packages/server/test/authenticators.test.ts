import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { sql } from "kysely";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { oathtoolHotp, oathtoolTotp } from "./helpers/oathtool.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const STEP = 30_000;
const secretHex = "3132333435363738393031323334353637383930";
const secret32 = encodeBase32(Buffer.from(secretHex, "hex"));

for (const backend of backends) {
  suite(`OATH authenticators (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
      ({ apiKey } = await s.tenant(undefined, { otpMaxFailures: 3, otpLockoutSeconds: 120 }));
    });
    after(() => s.close());

    const call = (method: string, path: string, body: unknown, scenario: string) =>
      s.api(method, path, { apiKey, body, scenario });
    const newUser = async () => {
      n += 1;
      const username = `oath${n}`;
      await call("POST", "/v1/users", { username, password: "correct horse" }, "oath: setup");
      return username;
    };
    const token = async (body: Record<string, unknown>) => {
      const r = await call("POST", "/v1/authenticators", body, "oath: create");
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.authenticator as { serial: string; activated: boolean };
    };
    const otp = (body: Record<string, unknown>, scenario: string) =>
      call("POST", "/v1/auth/otp", body, scenario);
    const totpNow = (offsetSteps = 0, options = {}) =>
      oathtoolTotp(secretHex, s.clock.now() + offsetSteps * STEP, options);

    test("TOTP from oathtool is accepted once; the same code and earlier codes are then refused", async () => {
      const username = await newUser();
      await token({ type: "totp", secret: secret32, username });
      const code = totpNow();
      assert.equal((await otp({ username, otp: code }, "oath: totp valid")).body.errorCode, 0);
      const replay = await otp({ username, otp: code }, "oath: totp replay");
      assert.equal(replay.status, 401);
      assert.equal(replay.body.errorCode, ApiReturnCode.OTPAlreadyUsed);
      assert.equal(
        (await otp({ username, otp: totpNow(-1) }, "oath: totp earlier code")).body.errorCode,
        ApiReturnCode.OTPAlreadyUsed,
      );
      s.clock.advance(STEP);
      assert.equal((await otp({ username, otp: totpNow() }, "oath: totp next step")).body.errorCode, 0);
    });

    test("SHA-256 and SHA-512, 8 digits, 60 s: codes computed by oathtool are accepted", async () => {
      for (const [algorithm, digits, period] of [
        ["SHA256", 8, 60],
        ["SHA512", 6, 30],
        ["SHA512", 8, 60],
      ] as const) {
        const username = await newUser();
        await token({ type: "totp", secret: secret32, username, algorithm, digits, period });
        const code = oathtoolTotp(secretHex, s.clock.now(), { algorithm, digits, period });
        assert.equal(
          (await otp({ username, otp: code }, "oath: totp variants")).body.errorCode,
          0,
          `${algorithm} ${digits} ${period}`,
        );
      }
    });

    test("a generated secret comes with an otpauth URI and a QR code, and works after activation", async () => {
      const username = await newUser();
      const r = await call(
        "POST",
        "/v1/authenticators",
        { type: "totp", username },
        "oath: create generated",
      );
      const uri = new URL(String(r.body.provisioningUri));
      assert.equal(uri.protocol, "otpauth:");
      assert.match(String(r.body.qrCode), /^data:image\/png;base64,/);
      // The secret as the CLI and the provisioning link give it, for typing into an app.
      assert.equal(r.body.secret, uri.searchParams.get("secret"));
      assert.match(String(r.body.secret), /^[A-Z2-7]{32}$/);
      const hex =
        Buffer.from(decodeURIComponent(uri.searchParams.get("secret") ?? ""), "ascii").length > 0
          ? base32ToHex(uri.searchParams.get("secret") ?? "")
          : "";
      const serial = (r.body.authenticator as { serial: string }).serial;
      const early = await otp({ username, otp: oathtoolTotp(hex, s.clock.now()) }, "oath: not activated");
      assert.equal(early.body.errorCode, ApiReturnCode.DeviceInvalid);
      const activated = await call(
        "POST",
        `/v1/authenticators/${serial}/activate`,
        { otp: oathtoolTotp(hex, s.clock.now()) },
        "oath: activate",
      );
      assert.equal((activated.body.authenticator as { activated: boolean }).activated, true);
      s.clock.advance(STEP);
      assert.equal(
        (await otp({ username, otp: oathtoolTotp(hex, s.clock.now()) }, "oath: after activation")).body
          .errorCode,
        0,
      );
    });

    test("a drifted device clock is TimeDriftInvalid until resynchronised with two consecutive codes", async () => {
      const username = await newUser();
      const { serial } = await token({ type: "totp", secret: secret32, username });
      assert.equal(
        (await otp({ username, otp: totpNow(5) }, "oath: drifted")).body.errorCode,
        ApiReturnCode.TimeDriftInvalid,
      );
      const resync = await call(
        "POST",
        `/v1/authenticators/${serial}/resync`,
        { otp1: totpNow(5), otp2: totpNow(6) },
        "oath: resync",
      );
      assert.equal((resync.body.authenticator as { drift: number }).drift, 6);
      s.clock.advance(STEP);
      assert.equal(
        (await otp({ username, otp: totpNow(6) }, "oath: after resync")).body.errorCode,
        0,
        "the drift is remembered",
      );
      const bad = await call(
        "POST",
        `/v1/authenticators/${serial}/resync`,
        { otp1: "000000", otp2: "000001" },
        "oath: resync wrong codes",
      );
      assert.equal(bad.body.errorCode, ApiReturnCode.OTPInvalid);
    });

    test("HOTP: look-ahead, single use of every earlier counter, runaway counter and resync", async () => {
      const username = await newUser();
      const { serial } = await token({ type: "hotp", secret: secret32, username });
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 0) }, "oath: hotp valid")).body.errorCode,
        0,
      );
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 0) }, "oath: hotp replay")).body.errorCode,
        ApiReturnCode.OTPAlreadyUsed,
      );
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 5) }, "oath: hotp look-ahead")).body.errorCode,
        0,
      );
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 3) }, "oath: hotp earlier")).body.errorCode,
        ApiReturnCode.OTPAlreadyUsed,
      );
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 60) }, "oath: hotp runaway")).body.errorCode,
        ApiReturnCode.TimeDriftInvalid,
      );
      await call(
        "POST",
        `/v1/authenticators/${serial}/resync`,
        { otp1: oathtoolHotp(secretHex, 60), otp2: oathtoolHotp(secretHex, 61) },
        "oath: hotp resync",
      );
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 62) }, "oath: hotp after resync")).body.errorCode,
        0,
      );
      const patched = await call(
        "PATCH",
        `/v1/authenticators/${serial}`,
        { period: 60 },
        "oath: period on hotp",
      );
      assert.equal(patched.body.errorCode, ApiReturnCode.OTPTypeInvalid);
    });

    test("wrong codes lock the token at the tenant's limit; it unlocks after the timeout or when enabled", async () => {
      const username = await newUser();
      const { serial } = await token({ type: "totp", secret: secret32, username });
      for (const wrong of ["111111", "222222"])
        assert.equal(
          (await otp({ username, otp: wrong }, "oath: wrong")).body.errorCode,
          ApiReturnCode.OTPInvalid,
        );
      const third = await otp({ username, otp: "333333" }, "oath: locking failure");
      assert.equal(third.status, 423);
      assert.equal(third.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      assert.equal(
        (await otp({ username, otp: totpNow() }, "oath: right while locked")).body.errorCode,
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      );
      s.clock.advance(120_000);
      assert.equal((await otp({ username, otp: totpNow() }, "oath: after lock timeout")).body.errorCode, 0);
      for (const wrong of ["111111", "222222", "333333"]) await otp({ username, otp: wrong }, "oath: wrong");
      await call("POST", `/v1/authenticators/${serial}/enable`, {}, "oath: enable clears lock");
      s.clock.advance(STEP);
      assert.equal((await otp({ username, otp: totpNow() }, "oath: after admin clear")).body.errorCode, 0);
    });

    test("usage limit, disabled tokens, users without tokens", async () => {
      const username = await newUser();
      const { serial } = await token({ type: "hotp", secret: secret32, username, maxUses: 2 });
      for (const c of [0, 1])
        assert.equal(
          (await otp({ username, otp: oathtoolHotp(secretHex, c) }, "oath: within uses")).body.errorCode,
          0,
        );
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 2) }, "oath: uses exceeded")).body.errorCode,
        ApiReturnCode.MaximumCardUsesExceeded,
      );
      await call("POST", `/v1/authenticators/${serial}/disable`, {}, "oath: disable");
      assert.equal(
        (await otp({ serial, otp: oathtoolHotp(secretHex, 2) }, "oath: disabled")).body.errorCode,
        ApiReturnCode.DeviceDiabled,
      );
      const nobody = await newUser();
      assert.equal(
        (await otp({ username: nobody, otp: "123456" }, "oath: no tokens")).body.errorCode,
        ApiReturnCode.NoDevicesDefined,
      );
    });

    test("input shape: codes, serials, types and parameters are checked and named", async () => {
      const username = await newUser();
      const { serial } = await token({ type: "totp", secret: secret32, username });
      const expect = async (
        r: Promise<{ body: { errorCode: number; field?: unknown } }>,
        code: number,
        label: string,
      ) => assert.equal((await r).body.errorCode, code, label);
      await expect(otp({ username, otp: "12ab56" }, "oath: bogus otp"), ApiReturnCode.BogusOTP, "letters");
      await expect(otp({ username, otp: "12345" }, "oath: bogus otp"), ApiReturnCode.BogusOTP, "length");
      await expect(
        otp({ username, otp: "12345678" }, "oath: bogus otp"),
        ApiReturnCode.BogusOTP,
        "digits of this token",
      );
      await expect(
        otp({ serial: "bad serial!", otp: "123456" }, "oath: bogus serial"),
        ApiReturnCode.BogusSerialNumber,
        "serial",
      );
      await expect(
        otp({ serial: "", otp: "123456" }, "oath: serial missing"),
        ApiReturnCode.SerialNumberNotSpecified,
        "empty serial",
      );
      await expect(
        otp({ otp: "123456" }, "oath: no device"),
        ApiReturnCode.DeviceNotSpecified,
        "nothing named",
      );
      await expect(
        otp({ serial: "NOSUCHTOKEN", otp: "123456" }, "oath: unknown serial"),
        ApiReturnCode.DeviceNotFound,
        "unknown",
      );
      await expect(
        call("POST", "/v1/authenticators", { type: "fax" }, "oath: bad type"),
        ApiReturnCode.DeviceTypeInvalid,
        "type",
      );
      for (const bad of [
        { digits: 7 },
        { algorithm: "MD5" },
        { period: 45 },
        { secret: "not base32!" },
        { secret: "GEZDGNBV" },
      ]) {
        await expect(
          call("POST", "/v1/authenticators", { type: "totp", ...bad }, "oath: bad config"),
          ApiReturnCode.InvalidDeviceConfig,
          JSON.stringify(bad),
        );
      }
      await expect(
        call("POST", "/v1/authenticators", { type: "hotp", period: 30 }, "oath: bad config"),
        ApiReturnCode.InvalidDeviceConfig,
        "period on hotp",
      );
      await expect(
        call("PATCH", `/v1/authenticators/${serial}`, { counter: 5 }, "oath: counter on totp"),
        ApiReturnCode.OTPTypeInvalid,
        "counter on totp",
      );
      const other = await newUser();
      await expect(
        otp({ username: other, serial, otp: "123456" }, "oath: someone else's token"),
        ApiReturnCode.DeviceInvalid,
        "not theirs",
      );
    });

    test("assignment: DeviceInUse unless forced; another tenant's serial is DeviceAssignedToDifferentPartner", async () => {
      const [a, b] = [await newUser(), await newUser()];
      const { serial } = await token({ type: "hotp", secret: secret32, username: a });
      assert.equal(
        (await call("POST", `/v1/authenticators/${serial}/assign`, { username: b }, "oath: assign taken"))
          .body.errorCode,
        ApiReturnCode.DeviceInUse,
      );
      const forced = await call(
        "POST",
        `/v1/authenticators/${serial}/assign`,
        { username: b, force: true },
        "oath: assign forced",
      );
      assert.equal((forced.body.authenticator as { username: string }).username, b);
      assert.equal(
        (await call("POST", "/v1/authenticators", { type: "hotp", serial }, "oath: serial taken")).body
          .errorCode,
        ApiReturnCode.DeviceInUse,
      );
      const other = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey: other.apiKey,
        body: { username: "zoe" },
        scenario: "oath: setup",
      });
      const cross = await s.api("POST", `/v1/authenticators/${serial}/assign`, {
        apiKey: other.apiKey,
        body: { username: "zoe" },
        scenario: "oath: assign other tenant's token",
      });
      assert.equal(cross.body.errorCode, ApiReturnCode.DeviceAssignedToDifferentPartner);
      const again = await s.api("POST", "/v1/authenticators", {
        apiKey: other.apiKey,
        body: { type: "hotp", serial },
        scenario: "oath: create other tenant's serial",
      });
      assert.equal(again.body.errorCode, ApiReturnCode.DeviceAssignedToDifferentPartner);
      assert.equal(
        (
          await s.api("GET", `/v1/authenticators/${serial}`, {
            apiKey: other.apiKey,
            scenario: "oath: read other tenant's token",
          })
        ).body.errorCode,
        ApiReturnCode.DeviceNotFound,
      );
      await call("POST", `/v1/authenticators/${serial}/unassign`, {}, "oath: unassign");
      assert.equal(
        (await call("DELETE", `/v1/authenticators/${serial}`, undefined, "oath: delete")).body.errorCode,
        0,
      );
      assert.equal(
        (await call("GET", `/v1/authenticators/${serial}`, undefined, "oath: read deleted")).body.errorCode,
        ApiReturnCode.DeviceNotFound,
      );
    });

    test("password plus code: bypass attempts and wrong codes have their own codes", async () => {
      const username = await newUser();
      const login = (body: Record<string, unknown>, scenario: string) =>
        call("POST", "/v1/auth/login", { username, password: "correct horse", ...body }, scenario);
      assert.equal((await login({}, "login: no token yet")).body.errorCode, 0);
      await token({ type: "totp", secret: secret32, username });
      assert.equal(
        (await login({}, "login: code omitted")).body.errorCode,
        ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
      );
      assert.equal(
        (await login({ otp: "" }, "login: empty code")).body.errorCode,
        ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
      );
      assert.equal(
        (await login({ otp: "000000" }, "login: wrong code")).body.errorCode,
        ApiReturnCode.PartnerUserLoginFailedInvalidOTP,
      );
      s.clock.advance(STEP);
      assert.equal((await login({ otp: totpNow() }, "login: right code")).body.errorCode, 0);
      assert.equal(
        (await login({ password: "wrong", otp: totpNow() }, "login: wrong password")).body.errorCode,
        ApiReturnCode.PartnerUserLoginFailed,
      );
    });

    test("twenty concurrent submissions of one valid code: exactly one succeeds", async () => {
      const username = await newUser();
      await token({ type: "totp", secret: secret32, username });
      s.clock.advance(STEP);
      const code = totpNow();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => otp({ username, otp: code }, "oath: concurrent")),
      );
      assert.equal(results.filter((r) => r.body.errorCode === 0).length, 1);
      // Each submission reserves an attempt before its code is checked: those beyond the tenant's
      // limit are refused unchecked with the lock's answer. The accepted one clears the counters,
      // so nothing stays locked.
      const unchecked = new Set<number>([
        ApiReturnCode.OTPAlreadyUsed,
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      ]);
      assert.ok(results.every((r) => r.body.errorCode === 0 || unchecked.has(r.body.errorCode)));
      s.clock.advance(STEP);
      assert.equal((await otp({ username, otp: totpNow() }, "oath: after concurrent")).body.errorCode, 0);
    });

    test("a counter write that fails refuses the code with UpdateDeviceCounterFailed", async () => {
      const username = await newUser();
      await token({ type: "hotp", secret: secret32, username, serial: "BROKEN-COUNTER" });
      const { db, dialect } = s.server.ctx.database;
      if (dialect === "sqlite") {
        await sql`create trigger refuse_counter before update of position on authenticators when new.serial = 'BROKEN-COUNTER' begin select raise(abort, 'counter write refused'); end`.execute(
          db,
        );
      } else {
        await sql`create function refuse_counter() returns trigger language plpgsql as $$ begin raise exception 'counter write refused'; end $$`.execute(
          db,
        );
        await sql`create trigger refuse_counter before update of position on authenticators for each row when (new.serial = 'BROKEN-COUNTER') execute function refuse_counter()`.execute(
          db,
        );
      }
      const r = await otp({ username, otp: oathtoolHotp(secretHex, 0) }, "oath: counter write fails");
      assert.equal(r.status, 500);
      assert.equal(r.body.errorCode, ApiReturnCode.UpdateDeviceCounterFailed);
      await sql`drop trigger refuse_counter${dialect === "postgres" ? sql` on authenticators` : sql``}`.execute(
        db,
      );
      assert.equal(
        (await otp({ username, otp: oathtoolHotp(secretHex, 0) }, "oath: after the write works again")).body
          .errorCode,
        0,
        "the refused code was not spent",
      );
    });
  });
}

function base32ToHex(text: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = bits.match(/.{8}/g) ?? [];
  return bytes.map((b) => Number.parseInt(b, 2).toString(16).padStart(2, "0")).join("");
}
