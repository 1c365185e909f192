import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { assertOutcome } from "./helpers/api-client.ts";
import { mailTo, recoveryLink, type SmtpSink, smtpFlags, startSmtpSink } from "./helpers/smtp-sink.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const DAY = 86_400_000;

for (const backend of backends) {
  suite(`passwords (${backend})`, () => {
    let s: TestServer;
    let smtp: SmtpSink;
    before(async () => {
      smtp = await startSmtpSink();
      s = await startTestServer(backend, { flags: { ...smtpFlags(smtp), "recovery.linkTtlMinutes": 30 } });
    });
    after(async () => {
      await s.close();
      await smtp.close();
    });

    const newUser = async (apiKey: string, username: string, extra: Record<string, unknown> = {}) => {
      const r = await s.api("POST", "/v1/users", {
        apiKey,
        body: { username, password: "correct horse", ...extra },
        scenario: "passwords: setup",
      });
      assert.equal(r.status, 201);
    };
    const login = (apiKey: string, username: string, password: string, scenario: string) =>
      s.api("POST", "/v1/auth/password", { apiKey, body: { username, password }, scenario });

    test("right password, wrong password, unknown, disabled and expired accounts", async () => {
      const { apiKey } = await s.tenant();
      await newUser(apiKey, "ivy");
      const ok = await login(apiKey, "IVY", "correct horse", "passwords: right");
      assert.equal(ok.status, 200);
      assert.equal((ok.body.user as { username: string }).username, "ivy");
      const wrong = await login(apiKey, "ivy", "wrong horse", "passwords: wrong");
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.errorCode, ApiReturnCode.PartnerUserLoginFailed);
      const unknown = await login(apiKey, "nobody", "x", "passwords: unknown user");
      assert.equal(unknown.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      await newUser(apiKey, "jack", { disabled: true });
      assert.equal(
        (await login(apiKey, "jack", "correct horse", "passwords: disabled")).body.errorCode,
        ApiReturnCode.PartnerUserLoginDisabled,
      );
      await newUser(apiKey, "kim", { expiresAt: s.clock.now() + DAY });
      assert.equal((await login(apiKey, "kim", "correct horse", "passwords: before expiry")).status, 200);
      s.clock.advance(DAY);
      assert.equal(
        (await login(apiKey, "kim", "correct horse", "passwords: account expired")).body.errorCode,
        ApiReturnCode.AccountExpired,
      );
    });

    test("failures lock the account for a growing time, refusing even the right password", async () => {
      const { apiKey } = await s.tenant(undefined, { passwordMaxFailures: 3, lockoutBaseSeconds: 60 });
      await newUser(apiKey, "leo");
      for (const n of [1, 2])
        assert.equal(
          (await login(apiKey, "leo", `bad${n}`, "passwords: wrong")).body.errorCode,
          ApiReturnCode.PartnerUserLoginFailed,
        );
      const third = await login(apiKey, "leo", "bad3", "passwords: locking failure");
      assert.equal(third.status, 423);
      assert.equal(third.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      const right = await login(apiKey, "leo", "correct horse", "passwords: right while locked");
      assert.equal(right.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      s.clock.advance(60_000);
      for (const n of [1, 2, 3]) await login(apiKey, "leo", `bad${n}`, "passwords: wrong again");
      s.clock.advance(60_000);
      const stillLocked = await login(apiKey, "leo", "correct horse", "passwords: second lock is longer");
      assert.equal(stillLocked.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      s.clock.advance(60_000);
      assert.equal((await login(apiKey, "leo", "correct horse", "passwords: after second lock")).status, 200);
      const unlocked = await s.api("GET", "/v1/users/leo", { apiKey, scenario: "passwords: lock cleared" });
      assert.equal((unlocked.body.user as { lockedUntil: null }).lockedUntil, null);
    });

    test("concurrent wrong passwords lock exactly once and never exceed the limit unnoticed", async () => {
      const { apiKey } = await s.tenant(undefined, { passwordMaxFailures: 5, lockoutBaseSeconds: 600 });
      await newUser(apiKey, "mia");
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          login(apiKey, "mia", `guess${i}`, "passwords: concurrent wrong"),
        ),
      );
      const locking = results.filter(
        (r) => r.body.errorCode === ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
      );
      assert.ok(locking.length >= 1, "the account got locked");
      assert.equal(
        (await login(apiKey, "mia", "correct horse", "passwords: right after burst")).body.errorCode,
        ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
      );
    });

    test("passwords expire after the tenant's maximum age and can then be changed with the old one", async () => {
      const { apiKey } = await s.tenant(undefined, { passwordMaxAgeDays: 90 });
      await newUser(apiKey, "ned", { email: "ned@mail.test" });
      s.clock.advance(90 * DAY);
      const expired = await login(apiKey, "ned", "correct horse", "passwords: expired");
      assert.equal(expired.status, 403);
      assert.equal(expired.body.errorCode, ApiReturnCode.PartnerUserLoginFailedPasswordExpired);
      const changed = await s.api("POST", "/v1/users/ned/password", {
        apiKey,
        body: { currentPassword: "correct horse", newPassword: "battery staple" },
        scenario: "passwords: change expired",
      });
      assertOutcome(changed, ApiReturnCode.PartnerUserChangedPassword);
      assert.match(smtp.to("ned@mail.test").at(-1)?.raw ?? "", /Your password was changed/);
      assert.equal((await login(apiKey, "ned", "battery staple", "passwords: new password")).status, 200);
      assert.equal(
        (await login(apiKey, "ned", "correct horse", "passwords: old password")).body.errorCode,
        ApiReturnCode.PartnerUserLoginFailed,
      );
    });

    test("change: a wrong current password is refused; a failed notification still changes it; sessions end", async () => {
      const { apiKey } = await s.tenant();
      await newUser(apiKey, "olga", { email: "olga@refused.test" });
      const session = await s.api("POST", "/v1/sessions", {
        apiKey,
        body: { username: "olga", durationMinutes: 60, type: "web" },
        scenario: "sessions: create",
      });
      const wrong = await s.api("POST", "/v1/users/olga/password", {
        apiKey,
        body: { currentPassword: "nope", newPassword: "battery staple" },
        scenario: "passwords: change with wrong current",
      });
      assert.equal(wrong.body.errorCode, ApiReturnCode.PartnerUserLoginFailed);
      const changed = await s.api("POST", "/v1/users/olga/password", {
        apiKey,
        body: { newPassword: "battery staple" },
        scenario: "passwords: admin reset, mail refused",
      });
      assert.equal(changed.status, 200);
      assertOutcome(changed, ApiReturnCode.PartnerUserPasswordChangedEmailFailed);
      assert.equal((await login(apiKey, "olga", "battery staple", "passwords: after reset")).status, 200);
      const check = await s.api("GET", `/v1/sessions/${session.body.sessionToken}`, {
        apiKey,
        scenario: "sessions: ended by password change",
      });
      assert.equal(check.body.errorCode, ApiReturnCode.SessionTokenInvalid);
      const short = await s.api("POST", "/v1/users/olga/password", {
        apiKey,
        body: { newPassword: "short" },
        scenario: "passwords: too short",
      });
      assert.equal(short.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(short.body.field, "body.newPassword");
    });

    test("an auth key changes a user's own password (expired too); wrong current ones count; the admin reset needs users", async () => {
      const { apiKey: admin } = await s.tenant(undefined, {
        passwordMaxAgeDays: 90,
        passwordMaxFailures: 2,
        lockoutBaseSeconds: 60,
      });
      await newUser(admin, "quinn", { email: "quinn@mail.test" });
      const created = await s.api("POST", "/v1/api-keys", {
        apiKey: admin,
        body: { name: "login page", scopes: ["auth"] },
        scenario: "passwords: auth key",
      });
      const auth = created.body.apiKey as string;
      const change = (body: Record<string, unknown>, scenario: string) =>
        s.api("POST", "/v1/auth/password/change", { apiKey: auth, body, scenario });
      for (const body of [
        { currentPassword: "correct horse", newPassword: "battery staple" },
        { newPassword: "battery staple" },
      ]) {
        const refused = await s.api("POST", "/v1/users/quinn/password", {
          apiKey: auth,
          body,
          scenario: "passwords: admin route refused to an auth key",
        });
        assert.equal(refused.status, 403);
        assert.equal(refused.body.errorCode, ApiReturnCode.PartnerUserLoginFailedNotAdmin);
      }
      const wrong = await change(
        { username: "quinn", currentPassword: "nope", newPassword: "battery staple" },
        "passwords: own change, wrong current",
      );
      assert.equal(wrong.body.errorCode, ApiReturnCode.PartnerUserLoginFailed);
      const locking = await change(
        { username: "quinn", currentPassword: "nope again", newPassword: "battery staple" },
        "passwords: own change, wrong current locks",
      );
      assert.equal(locking.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      const whileLocked = await change(
        { username: "quinn", currentPassword: "correct horse", newPassword: "battery staple" },
        "passwords: own change while locked",
      );
      assert.equal(whileLocked.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      assert.equal(
        (
          await change(
            { username: "nobody", currentPassword: "x", newPassword: "battery staple" },
            "passwords: own change, unknown user",
          )
        ).body.errorCode,
        ApiReturnCode.InvalidPartnerUserLogin,
      );
      const short = await change(
        { username: "quinn", currentPassword: "correct horse", newPassword: "short" },
        "passwords: own change, too short",
      );
      assert.equal(short.status, 400);
      assert.equal(short.body.field, "body.newPassword");
      const missing = await change(
        { username: "quinn", newPassword: "battery staple" },
        "passwords: own change without the current password",
      );
      assert.equal(missing.status, 400);
      assert.equal(missing.body.field, "body.currentPassword");
      s.clock.advance(90 * DAY);
      const expired = await s.api("POST", "/v1/auth/password", {
        apiKey: auth,
        body: { username: "quinn", password: "correct horse" },
        scenario: "passwords: expired",
      });
      assert.equal(expired.body.errorCode, ApiReturnCode.PartnerUserLoginFailedPasswordExpired);
      const changed = await change(
        { username: "quinn", currentPassword: "correct horse", newPassword: "battery staple" },
        "passwords: own change of an expired password",
      );
      assert.equal(changed.status, 200);
      assertOutcome(changed, ApiReturnCode.PartnerUserChangedPassword);
      assert.match(smtp.to("quinn@mail.test").at(-1)?.raw ?? "", /Your password was changed/);
      const after = await s.api("POST", "/v1/auth/password", {
        apiKey: auth,
        body: { username: "quinn", password: "battery staple" },
        scenario: "passwords: new password",
      });
      assert.equal(after.status, 200);
    });

    test("own change: a burst of wrong current passwords evaluates at most the limit; another tenant's user is unknown", async () => {
      const { apiKey, tenant } = await s.tenant(undefined, { lockoutBaseSeconds: 600 });
      await newUser(apiKey, "rosa");
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.api("POST", "/v1/auth/password/change", {
            apiKey,
            body: { username: "rosa", currentPassword: `guess${i}`, newPassword: "battery staple" },
            scenario: "passwords: own change, burst of wrong current passwords",
          }),
        ),
      );
      const evaluated = results.filter((r) => r.body.errorCode === ApiReturnCode.PartnerUserLoginFailed);
      assert.ok(evaluated.length <= tenant.passwordMaxFailures, `${evaluated.length} evaluated`);
      for (const r of results.filter((r) => !evaluated.includes(r)))
        assert.equal(r.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      s.clock.advance(600_000);
      assert.equal(
        (await login(apiKey, "rosa", "correct horse", "passwords: unchanged after the burst")).status,
        200,
      );
      const other = await s.tenant();
      const foreign = await s.api("POST", "/v1/auth/password/change", {
        apiKey: other.apiKey,
        body: { username: "rosa", currentPassword: "correct horse", newPassword: "battery staple" },
        scenario: "passwords: own change of another tenant's user",
      });
      assert.equal(foreign.body.errorCode, ApiReturnCode.InvalidPartnerUserLogin);
      assert.equal((await login(apiKey, "rosa", "correct horse", "passwords: still unchanged")).status, 200);
    });

    test("recovery by e-mailed link: works once, expires, and checks both ids", async () => {
      const { apiKey } = await s.tenant();
      await newUser(apiKey, "pia", { email: "pia@mail.test" });
      const start = await s.api("POST", "/v1/password-recovery", {
        apiKey,
        body: { username: "pia" },
        scenario: "recovery: start",
      });
      assert.equal(start.body.errorCode, 0);
      const link = await recoveryLink(smtp, "pia@mail.test", 1);
      const rid = link.searchParams.get("rid") ?? "";
      const mid = link.searchParams.get("mid") ?? "";
      assert.equal(rid, start.body.requestId);
      assert.doesNotMatch(
        JSON.stringify(start.body),
        new RegExp(mid),
        "the message id travels only by e-mail",
      );
      const complete = (body: Record<string, unknown>, scenario: string) =>
        s.api("POST", "/v1/password-recovery/complete", {
          apiKey,
          body: { newPassword: "a brand new one", ...body },
          scenario,
        });

      assert.equal(
        (await complete({ mid }, "recovery: missing rid")).body.errorCode,
        ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingRid,
      );
      assert.equal(
        (await complete({ rid: "short", mid }, "recovery: malformed rid")).body.errorCode,
        ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingRid,
      );
      assert.equal(
        (await complete({ rid }, "recovery: missing mid")).body.errorCode,
        ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingMid,
      );
      const otherMid = `${mid.slice(0, -2)}${mid.endsWith("AA") ? "BB" : "AA"}`;
      assert.equal(
        (await complete({ rid, mid: otherMid }, "recovery: wrong mid")).body.errorCode,
        ApiReturnCode.PartnerUserPasswordRecoveryInvalidorMissingMid,
      );
      const unknownRid = "A".repeat(22);
      assert.equal(
        (await complete({ rid: unknownRid, mid }, "recovery: unknown rid")).body.errorCode,
        ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound,
      );

      const done = await complete({ rid, mid }, "recovery: complete");
      assertOutcome(done, ApiReturnCode.PartnerUserChangedPassword);
      assert.equal((await login(apiKey, "pia", "a brand new one", "passwords: after recovery")).status, 200);
      const reused = await complete({ rid, mid }, "recovery: reused link");
      assert.equal(reused.status, 404);
      assert.equal(reused.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound);

      await s.api("POST", "/v1/password-recovery", {
        apiKey,
        body: { username: "pia" },
        scenario: "recovery: start",
      });
      const second = await recoveryLink(smtp, "pia@mail.test", 2);
      s.clock.advance(30 * 60_000);
      const late = await complete(
        { rid: second.searchParams.get("rid"), mid: second.searchParams.get("mid") },
        "recovery: expired link",
      );
      assert.equal(late.status, 410);
      assert.equal(late.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryExpiredToken);
    });

    test("a new recovery request supersedes the open one", async () => {
      const { apiKey } = await s.tenant();
      await newUser(apiKey, "quinn", { email: "quinn@mail.test" });
      const links: URL[] = [];
      for (let i = 0; i < 2; i += 1) {
        await s.api("POST", "/v1/password-recovery", {
          apiKey,
          body: { username: "quinn" },
          scenario: "recovery: start",
        });
        links.push(await recoveryLink(smtp, "quinn@mail.test", i + 1));
      }
      const [first, second] = links.map((l) => ({
        rid: l.searchParams.get("rid"),
        mid: l.searchParams.get("mid"),
        newPassword: "a brand new one",
      }));
      const old = await s.api("POST", "/v1/password-recovery/complete", {
        apiKey,
        body: first,
        scenario: "recovery: superseded link",
      });
      assert.equal(old.body.errorCode, ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound);
      const current = await s.api("POST", "/v1/password-recovery/complete", {
        apiKey,
        body: second,
        scenario: "recovery: complete",
      });
      assertOutcome(current, ApiReturnCode.PartnerUserChangedPassword);
    });

    test("recovery e-mails are limited per account, across requests, with Retry-After", async () => {
      const { apiKey } = await s.tenant();
      await newUser(apiKey, "tia", { email: "tia@mail.test" });
      for (let i = 0; i < 5; i += 1) {
        const r = await s.api("POST", "/v1/password-recovery", {
          apiKey,
          body: { username: "tia" },
          scenario: "recovery: start",
        });
        assert.equal(r.status, 200);
      }
      const limited = await s.api("POST", "/v1/password-recovery", {
        apiKey,
        body: { username: "tia" },
        scenario: "recovery: rate limited",
      });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.errorCode, TesseraApiCode.RateLimited);
      assert.equal(limited.headers.get("retry-after"), "3600");
      assert.equal((await mailTo(smtp, "tia@mail.test", 5)).length, 5);
      s.clock.advance(3600_000);
      assert.equal(
        (
          await s.api("POST", "/v1/password-recovery", {
            apiKey,
            body: { username: "tia" },
            scenario: "recovery: after the hour",
          })
        ).status,
        200,
      );
    });

    test("recovery for an account without an address, or whose e-mail is refused, is read back by request id", async () => {
      const { apiKey } = await s.tenant();
      const status = (rid: unknown, scenario: string) =>
        s.api("GET", `/v1/password-recovery/${String(rid)}`, { apiKey, scenario });
      await newUser(apiKey, "rex");
      const noAddress = await s.api("POST", "/v1/password-recovery", {
        apiKey,
        body: { username: "rex" },
        scenario: "recovery: start",
      });
      assert.equal(noAddress.status, 200, "the answer does not tell the end user");
      // The request is recorded after the answer: until then its id matches nothing.
      let refusedStart = await status(noAddress.body.requestId, "recovery: not yet recorded");
      for (let deadline = Date.now() + 10_000; refusedStart.status === 404 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        refusedStart = await status(noAddress.body.requestId, "recovery: not yet recorded");
      }
      assert.equal(refusedStart.status, 409);
      assert.equal(refusedStart.body.errorCode, ApiReturnCode.PartnerUserForgetPasswordFailed);
      await newUser(apiKey, "sam", { email: "sam@refused.test" });
      const refused = await s.api("POST", "/v1/password-recovery", {
        apiKey,
        body: { username: "sam" },
        scenario: "recovery: start",
      });
      assert.equal(refused.status, 200);
      let read = await status(refused.body.requestId, "recovery: mail pending");
      const deadline = Date.now() + 10_000;
      while (read.body.mail !== "failed" && Date.now() < deadline) {
        assert.ok(read.status === 404 || read.body.mail === "queued", JSON.stringify(read.body));
        await new Promise((resolve) => setTimeout(resolve, 10));
        read = await status(refused.body.requestId, "recovery: mail pending");
      }
      // The read worked; what it reports is a failed send (no 5xx for alerts and retries).
      assert.equal(read.status, 200);
      assert.equal(read.body.mail, "failed");
      assertOutcome(read, ApiReturnCode.PartnerUserSendPasswordEmailFailed);
    });
  });
}
