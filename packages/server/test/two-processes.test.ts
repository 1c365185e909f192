import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { decodeBase32, encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { oathtoolHotp } from "./helpers/oathtool.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { runCli } from "./helpers/run-cli.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

/** PostgreSQL lets several server processes share the work; limits must hold across them. */
suite("two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  let data: readonly string[] = [];
  before(async () => {
    pair = await startProcessPair("shared", "two processes: setup");
    ({ a, b, apiKey, data } = pair);
  });
  after(() => pair.close());

  const call = (server: ServerProcess, method: string, path: string, body: unknown, scenario: string) =>
    apiRequest(`${server.url}${path}`, {
      method,
      scenario,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  test("password failures spread over both processes lock the account in both", async () => {
    assert.equal(
      (
        await call(
          a,
          "PATCH",
          "/v1/tenant",
          { passwordMaxFailures: 4, lockoutBaseSeconds: 600 },
          "two processes: settings",
        )
      ).status,
      200,
    );
    assert.equal(
      (
        await call(
          a,
          "POST",
          "/v1/users",
          { username: "xena", password: "correct horse" },
          "two processes: user",
        )
      ).status,
      201,
    );
    const results = [];
    for (const [i, server] of [a, b, a, b].entries()) {
      results.push(
        (
          await call(
            server,
            "POST",
            "/v1/auth/password",
            { username: "xena", password: `wrong${i}` },
            "two processes: wrong",
          )
        ).body.errorCode,
      );
    }
    assert.deepEqual(results, [9001, 9001, 9001, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded]);
    for (const server of [a, b]) {
      const right = await call(
        server,
        "POST",
        "/v1/auth/password",
        { username: "xena", password: "correct horse" },
        "two processes: right while locked",
      );
      assert.equal(right.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
    }
  });

  test("a session made by one process is checked and expired by the other", async () => {
    await call(a, "POST", "/v1/users", { username: "yuri" }, "two processes: user");
    const token = (
      await call(
        a,
        "POST",
        "/v1/sessions",
        { username: "yuri", durationMinutes: 10, type: "web" },
        "two processes: session",
      )
    ).body.sessionToken;
    assert.equal(
      (
        await apiRequest(`${b.url}/v1/sessions/${token}`, {
          scenario: "two processes: check",
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await apiRequest(`${b.url}/v1/sessions/${token}`, {
          method: "DELETE",
          scenario: "two processes: expire",
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).status,
      200,
    );
    const gone = await apiRequest(`${a.url}/v1/sessions/${token}`, {
      scenario: "two processes: expired elsewhere",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    assert.equal(gone.body.errorCode, ApiReturnCode.SessionTokenInvalid);
  });

  const secretHex = "3132333435363738393031323334353637383930";

  test("twenty concurrent submissions of one code, spread over both processes: exactly one is accepted", async () => {
    await call(a, "POST", "/v1/users", { username: "otto" }, "two processes: user");
    const created = await call(
      a,
      "POST",
      "/v1/authenticators",
      { type: "hotp", username: "otto", secret: encodeBase32(Buffer.from(secretHex, "hex")) },
      "two processes: token",
    );
    assert.equal(created.status, 201);
    const code = oathtoolHotp(secretHex, 0);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(
          i % 2 ? a : b,
          "POST",
          "/v1/auth/otp",
          { username: "otto", otp: code },
          "two processes: same code",
        ),
      ),
    );
    assert.equal(results.filter((r) => r.body.errorCode === 0).length, 1);
    // Submissions beyond the lockout limit are refused before their code is checked (attempt
    // limiter); the accepted one clears the counters again.
    const unchecked = new Set<number>([
      ApiReturnCode.OTPAlreadyUsed,
      ApiReturnCode.MaximumFailedOTPRequestsExceeded,
    ]);
    assert.ok(results.every((r) => r.body.errorCode === 0 || unchecked.has(r.body.errorCode)));
    const next = await call(
      a,
      "POST",
      "/v1/auth/otp",
      { username: "otto", otp: oathtoolHotp(secretHex, 1) },
      "two processes: next code",
    );
    assert.equal(next.body.errorCode, 0);
  });

  test("wrong codes spread over both processes lock the token in both", async () => {
    await call(
      a,
      "PATCH",
      "/v1/tenant",
      { otpMaxFailures: 4, otpLockoutSeconds: 600 },
      "two processes: settings",
    );
    await call(a, "POST", "/v1/users", { username: "pia" }, "two processes: user");
    await call(
      a,
      "POST",
      "/v1/authenticators",
      { type: "hotp", username: "pia", secret: encodeBase32(Buffer.from(secretHex, "hex")) },
      "two processes: token",
    );
    const codes = [];
    for (const [i, server] of [a, b, a, b].entries())
      codes.push(
        (
          await call(
            server,
            "POST",
            "/v1/auth/otp",
            { username: "pia", otp: `00000${i}` },
            "two processes: wrong code",
          )
        ).body.errorCode,
      );
    assert.deepEqual(codes, [9003, 9003, 9003, ApiReturnCode.MaximumFailedOTPRequestsExceeded]);
    for (const server of [a, b]) {
      const right = await call(
        server,
        "POST",
        "/v1/auth/otp",
        { username: "pia", otp: oathtoolHotp(secretHex, 0) },
        "two processes: right code while locked",
      );
      assert.equal(right.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
    }
  });

  test("a burst against an active token and a waiting one, over both processes, evaluates at most the limit", async () => {
    await call(
      a,
      "PATCH",
      "/v1/tenant",
      { otpMaxFailures: 4, otpLockoutSeconds: 600 },
      "two processes: settings",
    );
    await call(a, "POST", "/v1/users", { username: "rhea" }, "two processes: user");
    const active = await call(
      a,
      "POST",
      "/v1/authenticators",
      { type: "hotp", username: "rhea", secret: encodeBase32(Buffer.from(secretHex, "hex")) },
      "two processes: token",
    );
    assert.equal(active.status, 201);
    const waiting = await call(
      a,
      "POST",
      "/v1/authenticators",
      { type: "hotp", username: "rhea" },
      "two processes: token",
    );
    assert.equal(waiting.status, 201);
    const waitingSerial = (waiting.body.authenticator as { serial: string }).serial;
    const uri = new URL(String(waiting.body.provisioningUri));
    const waitingHex = (decodeBase32(uri.searchParams.get("secret") ?? "") ?? Buffer.alloc(0)).toString(
      "hex",
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(
          i % 2 ? a : b,
          "POST",
          "/v1/auth/otp",
          { username: "rhea", otp: String(200000 + i) },
          "two processes: waiting burst",
        ),
      ),
    );
    const invalid = results.filter((r) => r.body.errorCode === ApiReturnCode.OTPInvalid).length;
    assert.ok(invalid <= 4, `at most the limit evaluated: ${invalid}`);
    assert.ok(
      results.every((r) =>
        ([ApiReturnCode.OTPInvalid, ApiReturnCode.MaximumFailedOTPRequestsExceeded] as number[]).includes(
          r.body.errorCode as number,
        ),
      ),
    );
    // Once the limit is reached the waiting token's right code tells nothing, in either process.
    for (const server of [a, b]) {
      const right = await call(
        server,
        "POST",
        "/v1/auth/otp",
        { username: "rhea", otp: oathtoolHotp(waitingHex, 0) },
        "two processes: waiting code while locked",
      );
      assert.equal(right.body.errorCode, ApiReturnCode.MaximumFailedOTPRequestsExceeded);
      assert.ok(!String(right.body.errorMessage).includes(waitingSerial));
    }
  });

  test("both processes append to one verifiable audit chain", async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(
          i % 2 ? a : b,
          "POST",
          "/v1/auth/password",
          { username: "nobody", password: "x" },
          "two processes: audit load",
        ),
      ),
    );
    const verified = await runCli([...data, "audit", "verify", "--json"], {
      scenario: "two processes: verify",
    });
    assert.equal(verified.status, 0, verified.stdout);
    assert.equal(JSON.parse(verified.stdout).ok, true);
  });
});
