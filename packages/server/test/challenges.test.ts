import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { runHousekeepingRound } from "../src/housekeeping/housekeeping-round.ts";
import { CHALLENGE_CODE_KEPT_MS } from "../src/out-of-band/challenges/sweep-challenge-codes.ts";
import { assertActivationBurstHeld } from "./helpers/burst.ts";
import {
  type Call,
  mailedCode,
  type SentChallenge,
  sentCode,
  verifiedEmailDevice,
} from "./helpers/challenge-devices.ts";
import { type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** The default a new tenant gets (tenant-store.ts): wrong codes before a device locks. */
const OTP_LIMIT = 5;
const TTL_MS = 600_000;

for (const backend of backends) {
  suite(`challenge devices and sent codes (${backend})`, () => {
    let s: TestServer;
    let sink: SmtpSink;
    let apiKey = "";
    let n = 0;
    before(async () => {
      sink = await startSmtpSink();
      s = await startTestServer(backend, {
        flags: {
          ...smtpFlags(sink),
          // These tests send many codes to one user and one address to test the codes themselves;
          // the sending limits have their own tests (sending-limits.test.ts), so they are wide here.
          "rateLimits.outOfBandPerUser": 1000,
          "rateLimits.outOfBandPerDestination": 1000,
          "rateLimits.outOfBandPerDestinationPerDay": 10000,
        },
      });
      ({ apiKey } = await s.tenant());
    });
    after(async () => {
      await s.close();
      await sink.close();
    });

    const call: Call = (method, path, body, scenario) => s.api(method, path, { apiKey, body, scenario });
    const newUser = async () => {
      n += 1;
      const username = `ch${n}`;
      const r = await call(
        "POST",
        "/v1/users",
        { username, password: "correct horse battery" },
        "challenges: setup",
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { username, address: `${username}@mail.example` };
    };
    const verifiedUser = async () => {
      const user = await newUser();
      return { ...user, serial: await verifiedEmailDevice(call, sink, user.username, user.address) };
    };
    const otp = (body: Record<string, unknown>, scenario: string) =>
      call("POST", "/v1/auth/otp", body, scenario);
    const refused = (r: { status: number; body: { errorCode: number } }, code: number, field?: string) => {
      assert.equal(r.body.errorCode, code, JSON.stringify(r.body));
      if (field !== undefined)
        assert.equal((r.body as { field?: string }).field, field, JSON.stringify(r.body));
    };

    test("an e-mail device is bound by its first code: unusable before, activated by it, the code then spent", async () => {
      const { username, address } = await newUser();
      const created = await call(
        "POST",
        "/v1/authenticators",
        { type: "email", username, destination: address.replace("mail.example", "MAIL.Example") },
        "challenges: bind e-mail",
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const device = created.body.authenticator as Record<string, unknown>;
      assert.deepEqual(
        [device.type, device.activated, device.digits, device.algorithm],
        ["email", false, 6, "none"],
      );
      const challenge = created.body.challenge as SentChallenge;
      assert.equal(challenge.serial, device.serial);
      assert.equal(challenge.method, "email");
      assert.equal(challenge.maskedDestination, `c•••@mail.example`);
      assert.ok(challenge.challengeId.length >= 22);
      assert.equal(Date.parse(challenge.expiresAt), s.clock.now() + TTL_MS);
      // The domain was normalised: the message went to the lower-case address.
      const code = await mailedCode(sink, address, 1);
      refused(
        await call("POST", "/v1/auth/challenge", { username }, "challenges: unverified device"),
        ApiReturnCode.NoChallengeDevicesDefined,
      );
      const activate = (body: unknown, scenario: string) =>
        call("POST", `/v1/authenticators/${challenge.serial}/activate`, body, scenario);
      refused(
        await activate({ otp: code }, "challenges: activate without id"),
        TesseraApiCode.MalformedRequest,
        "body.challengeId",
      );
      refused(
        await activate(
          { otp: code, challengeId: "AAAAAAAAAAAAAAAAAAAAAAAA" },
          "challenges: activate unknown id",
        ),
        ApiReturnCode.OTPInvalid,
        "body.challengeId",
      );
      const done = await activate({ otp: code, challengeId: challenge.challengeId }, "challenges: activate");
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal((done.body.authenticator as { activated: boolean }).activated, true);
      refused(
        await activate({ otp: code, challengeId: challenge.challengeId }, "challenges: activate again"),
        ApiReturnCode.DeviceAlreadyProvisioned,
      );
      // The verification code is not a sign-in code.
      refused(
        await otp(
          { username, otp: code, challengeId: challenge.challengeId },
          "challenges: verification code to sign in",
        ),
        ApiReturnCode.OTPInvalid,
        "body.challengeId",
      );
      const sent = await sentCode(call, sink, { username }, address);
      assert.equal(sent.challenge.serial, challenge.serial);
      const ok = await otp(
        { username, otp: sent.code, challengeId: sent.challenge.challengeId },
        "challenges: sign in",
      );
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual([ok.body.serial, ok.body.username], [challenge.serial, username]);
      refused(
        await otp(
          { username, otp: sent.code, challengeId: sent.challenge.challengeId },
          "challenges: replay",
        ),
        ApiReturnCode.OTPAlreadyUsed,
      );
    });

    test("creation refuses what does not apply to a challenge device, naming the field", async () => {
      const { username } = await newUser();
      const create = (body: Record<string, unknown>) =>
        call("POST", "/v1/authenticators", { username, ...body }, "challenges: create refused");
      const cases: [Record<string, unknown>, number, string][] = [
        [
          { type: "sms", destination: "+14155552671", secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.secret",
        ],
        [
          { type: "sms", destination: "+14155552671", algorithm: "SHA256" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.algorithm",
        ],
        [
          { type: "voice", destination: "+14155552671", period: 30 },
          ApiReturnCode.InvalidDeviceConfig,
          "body.period",
        ],
        [
          { type: "sms", destination: "+14155552671", digits: 7 },
          ApiReturnCode.InvalidDeviceConfig,
          "body.digits",
        ],
        [{ type: "sms" }, ApiReturnCode.InvalidDeviceConfig, "body.destination"],
        [
          { type: "sms", destination: "004915112345678" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [{ type: "sms", destination: "+999123456" }, ApiReturnCode.InvalidDeviceConfig, "body.destination"],
        [{ type: "sms", destination: "+1415555267" }, ApiReturnCode.InvalidDeviceConfig, "body.destination"],
        [
          { type: "sms", destination: "+14155552671;ext=3" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [
          { type: "sms", destination: `+1${"4".repeat(300)}` },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [
          { type: "email", destination: "not-an-address" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [
          { type: "email", destination: "a b@example.com" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [
          { type: "email", destination: `${"a".repeat(65)}@example.com` },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [
          { type: "email", destination: "alice@[127.0.0.1]" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [
          { type: "totp", destination: "alice@example.com" },
          ApiReturnCode.InvalidDeviceConfig,
          "body.destination",
        ],
        [{ type: "push" }, ApiReturnCode.DeviceTypeInvalid, "body.type"],
      ];
      for (const [body, code, field] of cases) refused(await create(body), code, field);
      refused(
        await call(
          "POST",
          "/v1/authenticators",
          { type: "email", destination: "a@example.com" },
          "challenges: create refused",
        ),
        ApiReturnCode.InvalidDeviceConfig,
        "body.username",
      );
      // The pool is for hardware OATH tokens: a phone or e-mail device is never handed out from it.
      refused(
        await call("POST", "/v1/authenticators/assign-next", { username, type: "sms" }, "challenges: pool"),
        ApiReturnCode.DeviceTypeInvalid,
        "body.type",
      );
      const listed = await call("GET", `/v1/users/${username}/authenticators`, undefined, "challenges: list");
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.deepEqual(listed.body.authenticators, []);
    });

    test("NoChallengeDevicesDefined, DeviceIsNotAChallengeDevice and SendOTPInvalidDeliveryMethod", async () => {
      const { username } = await newUser();
      const send = (body: Record<string, unknown>, scenario: string) =>
        call("POST", "/v1/auth/challenge", { username, ...body }, scenario);
      refused(await send({}, "challenges: no device"), ApiReturnCode.NoChallengeDevicesDefined);
      const totp = await call(
        "POST",
        "/v1/authenticators",
        { type: "totp", username, secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
        "challenges: setup",
      );
      const totpSerial = (totp.body.authenticator as { serial: string }).serial;
      refused(await send({}, "challenges: only an OATH token"), ApiReturnCode.NoChallengeDevicesDefined);
      refused(
        await send({ serial: totpSerial }, "challenges: OATH serial"),
        ApiReturnCode.DeviceIsNotAChallengeDevice,
        "body.serial",
      );
      refused(
        await call(
          "POST",
          `/v1/authenticators/${totpSerial}/verification`,
          {},
          "challenges: OATH verification",
        ),
        ApiReturnCode.DeviceIsNotAChallengeDevice,
        "params.serial",
      );
      const { username: other, serial } = await verifiedUser();
      refused(
        await call(
          "POST",
          "/v1/auth/challenge",
          { username: other, method: "sms" },
          "challenges: e-mail by sms",
        ),
        ApiReturnCode.SendOTPInvalidDeliveryMethod,
        "body.method",
      );
      refused(
        await call(
          "POST",
          "/v1/auth/challenge",
          { username: other, serial, method: "fax" },
          "challenges: unknown method",
        ),
        ApiReturnCode.SendOTPInvalidDeliveryMethod,
        "body.method",
      );
      // Another user's device is not this user's to be sent a code.
      refused(await send({ serial }, "challenges: another user's serial"), ApiReturnCode.DeviceInvalid);
      refused(
        await send({ serial: "NOSUCHSERIAL" }, "challenges: unknown serial"),
        ApiReturnCode.DeviceNotFound,
        "body.serial",
      );
    });

    test("a code expires after the tenant's lifetime (ManualClock), 600 s by default", async () => {
      const { username, address } = await verifiedUser();
      const first = await sentCode(call, sink, { username }, address);
      s.clock.advance(TTL_MS);
      refused(
        await otp(
          { username, otp: first.code, challengeId: first.challenge.challengeId },
          "challenges: expired",
        ),
        ApiReturnCode.SendOTPExpired,
      );
      const patched = await call("PATCH", "/v1/tenant", { challengeCodeTtlSeconds: 60 }, "challenges: setup");
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      try {
        const second = await sentCode(call, sink, { username }, address);
        assert.equal(Date.parse(second.challenge.expiresAt), s.clock.now() + 60_000);
        s.clock.advance(59_999);
        const ok = await otp(
          { username, otp: second.code, challengeId: second.challenge.challengeId },
          "challenges: just in time",
        );
        assert.equal(ok.body.errorCode, 0, JSON.stringify(ok.body));
        const third = await sentCode(call, sink, { username }, address);
        s.clock.advance(60_000);
        refused(
          await otp(
            { username, otp: third.code, challengeId: third.challenge.challengeId },
            "challenges: expired",
          ),
          ApiReturnCode.SendOTPExpired,
        );
      } finally {
        await call("PATCH", "/v1/tenant", { challengeCodeTtlSeconds: 600 }, "challenges: setup");
      }
      for (const value of [59, 3601, 2 ** 31, 2 ** 53, 1.5, -1, "600", null])
        refused(
          await call("PATCH", "/v1/tenant", { challengeCodeTtlSeconds: value }, "challenges: ttl extremes"),
          TesseraApiCode.MalformedRequest,
          "body.challengeCodeTtlSeconds",
        );
    });

    test("a resend supersedes the code sent before it, for sign-in and for verification", async () => {
      const { username, address } = await verifiedUser();
      const x = await sentCode(call, sink, { username }, address);
      const y = await sentCode(call, sink, { username }, address);
      refused(
        await otp({ username, otp: x.code, challengeId: x.challenge.challengeId }, "challenges: superseded"),
        ApiReturnCode.SendOTPExpired,
      );
      const ok = await otp(
        { username, otp: y.code, challengeId: y.challenge.challengeId },
        "challenges: sign in",
      );
      assert.equal(ok.body.errorCode, 0, JSON.stringify(ok.body));

      const fresh = await newUser();
      const created = await call(
        "POST",
        "/v1/authenticators",
        { type: "email", username: fresh.username, destination: fresh.address },
        "challenges: setup",
      );
      const first = created.body.challenge as SentChallenge;
      const firstCode = await mailedCode(sink, fresh.address, 1);
      const resent = await call(
        "POST",
        `/v1/authenticators/${first.serial}/verification`,
        {},
        "challenges: resend verification",
      );
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      const second = resent.body.challenge as SentChallenge;
      assert.notEqual(second.challengeId, first.challengeId);
      const secondCode = await mailedCode(sink, fresh.address, 2);
      const activate = (otp: string, challengeId: string, scenario: string) =>
        call("POST", `/v1/authenticators/${first.serial}/activate`, { otp, challengeId }, scenario);
      refused(
        await activate(firstCode, first.challengeId, "challenges: superseded verification"),
        ApiReturnCode.SendOTPExpired,
      );
      assert.equal(
        (await activate(secondCode, second.challengeId, "challenges: activate")).body.errorCode,
        0,
      );
      refused(
        await call(
          "POST",
          `/v1/authenticators/${first.serial}/verification`,
          {},
          "challenges: resend verified",
        ),
        ApiReturnCode.DeviceAlreadyProvisioned,
      );
    });

    test("10 concurrent sends to one device leave at most one code open, the last one written", async () => {
      const { username, address } = await verifiedUser();
      const before = sink.to(address).length;
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          call("POST", "/v1/auth/challenge", { username }, "challenges: concurrent sends"),
        ),
      );
      assert.ok(
        results.every((r) => r.body.errorCode === 0),
        JSON.stringify(results.map((r) => r.body)),
      );
      await mailedCode(sink, address, before + 10);
      const open = await s.server.ctx.database.db
        .selectFrom("challenge_codes")
        .select("id")
        .where("user_id", "in", (eb) => eb.selectFrom("users").select("id").where("username", "=", username))
        .where("purpose", "=", "sign-in")
        .where("superseded_at", "is", null)
        .where("used_at", "is", null)
        .execute();
      assert.ok(open.length <= 1, `${open.length} codes open`);
      // Each id with a wrong code: a superseded challenge is answered without the code being looked
      // at; only the open one (if any) compares it.
      const answers = await Promise.all(
        results.map((r) =>
          otp(
            { username, otp: "000000", challengeId: String(r.body.challengeId) },
            "challenges: concurrent sends",
          ),
        ),
      );
      const superseded = answers.filter((r) => r.body.errorCode === ApiReturnCode.SendOTPExpired).length;
      assert.ok(superseded >= 9, JSON.stringify(answers.map((r) => r.body.errorCode)));
    });

    test("a code counts for its own challenge only: not another challenge's, not another user's or tenant's", async () => {
      const { username, address, serial: firstSerial } = await verifiedUser();
      const secondAddress = `${username}.2@mail.example`;
      const secondSerial = await verifiedEmailDevice(call, sink, username, secondAddress);
      const x = await sentCode(call, sink, { username, serial: firstSerial }, address);
      const y = await sentCode(call, sink, { username, serial: secondSerial }, secondAddress);
      assert.notEqual(x.code, y.code, "two random codes happened to be equal: rerun");
      refused(
        await otp(
          { username, otp: x.code, challengeId: y.challenge.challengeId },
          "challenges: code of another challenge",
        ),
        ApiReturnCode.OTPInvalid,
      );
      refused(
        await otp(
          { username, otp: x.code, challengeId: x.challenge.challengeId, serial: secondSerial },
          "challenges: serial with id",
        ),
        TesseraApiCode.MalformedRequest,
        "body.serial",
      );
      refused(
        await otp({ otp: x.code, challengeId: x.challenge.challengeId }, "challenges: id without user"),
        TesseraApiCode.MalformedRequest,
        "body.username",
      );
      const someoneElse = await verifiedUser();
      refused(
        await otp(
          { username: someoneElse.username, otp: x.code, challengeId: x.challenge.challengeId },
          "challenges: another user's id",
        ),
        ApiReturnCode.OTPInvalid,
        "body.challengeId",
      );
      // The same username in another tenant: the id is not found there, and nothing was spent.
      const other = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey: other.apiKey,
        body: { username, password: "correct horse battery" },
        scenario: "challenges: setup",
      });
      refused(
        await s.api("POST", "/v1/auth/otp", {
          apiKey: other.apiKey,
          body: { username, otp: x.code, challengeId: x.challenge.challengeId },
          scenario: "challenges: another tenant's id",
        }),
        ApiReturnCode.OTPInvalid,
        "body.challengeId",
      );
      const ok = await otp(
        { username, otp: x.code, challengeId: x.challenge.challengeId },
        "challenges: sign in",
      );
      assert.equal(ok.body.errorCode, 0, JSON.stringify(ok.body));
      assert.equal(ok.body.serial, x.challenge.serial);
    });

    test("a device is activated by its own verification code only; steps out of order are refused", async () => {
      const { username, address } = await newUser();
      const other = `${username}.b@mail.example`;
      const bind = async (destination: string) => {
        const r = await call(
          "POST",
          "/v1/authenticators",
          { type: "email", username, destination },
          "challenges: setup",
        );
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.challenge as SentChallenge;
      };
      const a = await bind(address);
      const b = await bind(other);
      const codeB = await mailedCode(sink, other, 1);
      // B's code and challenge sent to A's activation: refused before any code is compared.
      refused(
        await call(
          "POST",
          `/v1/authenticators/${a.serial}/activate`,
          { otp: codeB, challengeId: b.challengeId },
          "challenges: another device's verification",
        ),
        ApiReturnCode.OTPInvalid,
        "body.challengeId",
      );
      // Signing in before the device is verified, and resynchronising it, are refused.
      refused(
        await call(
          "POST",
          "/v1/auth/challenge",
          { username, serial: a.serial },
          "challenges: unverified device",
        ),
        ApiReturnCode.DeviceInvalid,
      );
      refused(
        await call(
          "POST",
          `/v1/authenticators/${a.serial}/resync`,
          { otp1: "123456", otp2: "654321" },
          "challenges: resync",
        ),
        ApiReturnCode.OTPTypeInvalid,
      );
      // An OATH token is not activated with a challenge id.
      const totp = await call("POST", "/v1/authenticators", { type: "totp", username }, "challenges: setup");
      const totpSerial = (totp.body.authenticator as { serial: string }).serial;
      refused(
        await call(
          "POST",
          `/v1/authenticators/${totpSerial}/activate`,
          { otp: codeB, challengeId: b.challengeId },
          "challenges: OATH with id",
        ),
        TesseraApiCode.MalformedRequest,
        "body.challengeId",
      );
      // Another tenant's serial is not found there.
      const stranger = await s.tenant();
      await s.api("POST", "/v1/users", {
        apiKey: stranger.apiKey,
        body: { username, password: "correct horse battery" },
        scenario: "challenges: setup",
      });
      refused(
        await s.api("POST", "/v1/auth/challenge", {
          apiKey: stranger.apiKey,
          body: { username, serial: b.serial },
          scenario: "challenges: another tenant's serial",
        }),
        ApiReturnCode.DeviceNotFound,
        "body.serial",
      );
      const done = await call(
        "POST",
        `/v1/authenticators/${b.serial}/activate`,
        { otp: codeB, challengeId: b.challengeId },
        "challenges: activate",
      );
      assert.equal(done.body.errorCode, 0, JSON.stringify(done.body));
    });

    test("a code sent before the device moved to another user no longer signs its former holder in", async () => {
      const { username, address, serial } = await verifiedUser();
      const { challenge, code } = await sentCode(call, sink, { username }, address);
      const next = await newUser();
      const moved = await call(
        "POST",
        `/v1/authenticators/${serial}/assign`,
        { username: next.username, force: true },
        "challenges: move device",
      );
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      // Moving a device disables it (its destination was the former holder's); enabled again, it
      // still refuses the former holder's code.
      await call("POST", `/v1/authenticators/${serial}/enable`, undefined, "challenges: setup");
      refused(
        await otp({ username, otp: code, challengeId: challenge.challengeId }, "challenges: moved device"),
        ApiReturnCode.DeviceInvalid,
      );
    });

    test("20 concurrent requests with the right code: exactly one is accepted", async () => {
      const { username, address } = await verifiedUser();
      const { challenge, code } = await sentCode(call, sink, { username }, address);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          otp({ username, otp: code, challengeId: challenge.challengeId }, "challenges: same code burst"),
        ),
      );
      assert.equal(
        results.filter((r) => r.body.errorCode === 0).length,
        1,
        JSON.stringify(results.map((r) => r.body.errorCode)),
      );
      for (const r of results.filter((r) => r.body.errorCode !== 0))
        assert.ok(
          new Set<number>([ApiReturnCode.OTPAlreadyUsed, ApiReturnCode.MaximumFailedOTPRequestsExceeded]).has(
            r.body.errorCode,
          ),
          JSON.stringify(r.body),
        );
    });

    test("40 concurrent guesses (one right): at most the limit evaluated, the lock answers right and wrong alike", async () => {
      const { username, address, serial } = await verifiedUser();
      const { challenge, code } = await sentCode(call, sink, { username }, address);
      const rightIndex = 17;
      const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          otp(
            { username, otp: i === rightIndex ? code : wrong(i), challengeId: challenge.challengeId },
            "challenges: guess burst",
          ),
        ),
      );
      // Once the right code is spent, later requests are answered OTPAlreadyUsed before any code is
      // looked at (neither evaluated nor locked): the helper allows that only after it was accepted.
      assertActivationBurstHeld(
        results,
        rightIndex,
        {
          wrong: ApiReturnCode.OTPInvalid,
          locked: ApiReturnCode.MaximumFailedOTPRequestsExceeded,
          alreadyActive: ApiReturnCode.OTPAlreadyUsed,
        },
        OTP_LIMIT,
      );
      // Locked: no further code is sent to the device either (pumping a locked device is pointless).
      const locked = results.some((r) => r.body.errorCode === ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      if (locked && results[rightIndex]?.body.errorCode !== 0)
        refused(
          await call("POST", "/v1/auth/challenge", { username, serial }, "challenges: send to locked"),
          ApiReturnCode.MaximumFailedOTPRequestsExceeded,
        );
    });

    test("sign-in with password and a sent code; a code without its challenge id is refused naming the field", async () => {
      const { username, address } = await verifiedUser();
      const login = (body: Record<string, unknown>, scenario: string) =>
        call("POST", "/v1/auth/login", { username, password: "correct horse battery", ...body }, scenario);
      refused(
        await login({}, "challenges: login without code"),
        ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass,
      );
      refused(
        await login({ otp: "123456" }, "challenges: login without id"),
        TesseraApiCode.MalformedRequest,
        "body.challengeId",
      );
      refused(
        await otp({ username, otp: "123456" }, "challenges: otp without id"),
        TesseraApiCode.MalformedRequest,
        "body.challengeId",
      );
      const { challenge, code } = await sentCode(call, sink, { username }, address);
      const wrong = code === "000000" ? "000001" : "000000";
      refused(
        await login({ otp: wrong, challengeId: challenge.challengeId }, "challenges: login wrong code"),
        ApiReturnCode.PartnerUserLoginFailedInvalidOTP,
      );
      const ok = await login({ otp: code, challengeId: challenge.challengeId }, "challenges: login");
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((ok.body.user as { username: string }).username, username);
      refused(
        await login({ otp: code, challengeId: challenge.challengeId }, "challenges: login replay"),
        ApiReturnCode.PartnerUserLoginFailedInvalidOTP,
      );
      const next = await sentCode(call, sink, { username }, address);
      s.clock.advance(TTL_MS);
      refused(
        await login({ otp: next.code, challengeId: next.challenge.challengeId }, "challenges: login expired"),
        ApiReturnCode.SendOTPExpired,
      );
    });

    test("a send without a serial skips a locked device for the user's other one", async () => {
      const { username, serial: locked } = await verifiedUser();
      const other = await verifiedEmailDevice(call, sink, username, `${username}.second@mail.example`);
      await s.server.ctx.database.db
        .updateTable("authenticators")
        .set({ locked_until: s.clock.now() + 3_600_000 })
        .where("serial", "=", locked)
        .execute();
      const sent = await call("POST", "/v1/auth/challenge", { username }, "challenges: first device locked");
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(sent.body.serial, other);
      await s.server.ctx.database.db
        .updateTable("authenticators")
        .set({ locked_until: s.clock.now() + 3_600_000 })
        .where("serial", "=", other)
        .execute();
      refused(
        await call("POST", "/v1/auth/challenge", { username }, "challenges: every device locked"),
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      );
    });

    test("housekeeping deletes sent codes a day after they expired, not before", async () => {
      const { username, address } = await verifiedUser();
      const { challenge } = await sentCode(call, sink, { username }, address);
      const exists = async () =>
        (await s.server.ctx.database.db
          .selectFrom("challenge_codes")
          .select("id")
          .where("id", "=", challenge.challengeId)
          .executeTakeFirst()) !== undefined;
      const expiresAt = Date.parse(challenge.expiresAt);
      await runHousekeepingRound(s.server.ctx, expiresAt + CHALLENGE_CODE_KEPT_MS - 1);
      assert.ok(await exists(), "kept until a day after its expiry");
      const round = await runHousekeepingRound(s.server.ctx, expiresAt + CHALLENGE_CODE_KEPT_MS);
      assert.ok((round.deleted.challenge_codes ?? 0) >= 1, JSON.stringify(round));
      assert.ok(!(await exists()));
    });
  });
}
