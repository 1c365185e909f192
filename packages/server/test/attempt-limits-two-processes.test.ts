import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { assertBurstHeld } from "./helpers/burst.ts";
import { oathtoolHotp } from "./helpers/oathtool.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { runCli } from "./helpers/run-cli.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

const secretHex = "3132333435363738393031323334353637383930";
/** The defaults a new tenant gets (tenant-store.ts); these tests do not loosen them. */
const PASSWORD_LIMIT = 5;
const OTP_LIMIT = 5;

/** Guesses spread over two server processes on one PostgreSQL: the limit holds across them. */
suite("attempt limits across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  let data: readonly string[] = [];
  before(async () => {
    pair = await startProcessPair("guessed", "limits two processes: setup");
    ({ a, b, apiKey, data } = pair);
  });
  after(() => pair.close());

  const call = (server: ServerProcess, path: string, body: unknown, scenario: string) =>
    apiRequest(`${server.url}${path}`, {
      method: "POST",
      scenario,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  test("60 concurrent passwords (one right) over both processes evaluate at most the limit", async () => {
    await call(
      a,
      "/v1/users",
      { username: "ursula", password: "correct horse" },
      "limits two processes: user",
    );
    const rightIndex = 41;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(
          i % 2 ? a : b,
          "/v1/auth/password",
          { username: "ursula", password: i === rightIndex ? "correct horse" : `guess${i}` },
          "limits two processes: password burst",
        ),
      ),
    );
    assertBurstHeld(
      results,
      rightIndex,
      ApiReturnCode.PartnerUserLoginFailed,
      ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
      PASSWORD_LIMIT,
    );
  });

  test("60 concurrent codes (one right) over both processes evaluate at most the limit", async () => {
    await call(a, "/v1/users", { username: "vera" }, "limits two processes: user");
    await call(
      a,
      "/v1/authenticators",
      { type: "hotp", username: "vera", secret: encodeBase32(Buffer.from(secretHex, "hex")) },
      "limits two processes: token",
    );
    const rightIndex = 29;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(
          i % 2 ? a : b,
          "/v1/auth/otp",
          { username: "vera", otp: i === rightIndex ? oathtoolHotp(secretHex, 0) : String(800000 + i) },
          "limits two processes: otp burst",
        ),
      ),
    );
    assertBurstHeld(
      results,
      rightIndex,
      ApiReturnCode.OTPInvalid,
      ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      OTP_LIMIT,
    );
  });

  test("tenant set --max-consecutive-failures is bounded, and both processes lock for good at it", async () => {
    for (const bad of ["0", "-1", "101", "1.5", "2147483648", "9007199254740993", "x", "9".repeat(5000)]) {
      const refused = await runCli(
        [...data, "tenant", "set", "guessed", `--max-consecutive-failures=${bad}`],
        {
          scenario: "limits two processes: cli setting out of bounds",
        },
      );
      assert.equal(refused.status, 1, bad);
      assert.match(refused.stderr, /MalformedRequest.*--max-consecutive-failures/);
    }
    const set = await runCli([...data, "tenant", "set", "guessed", "--max-consecutive-failures", "3"], {
      scenario: "limits two processes: cli setting",
    });
    assert.equal(set.status, 0, set.stderr);
    await call(
      a,
      "/v1/users",
      { username: "wanda", password: "correct horse" },
      "limits two processes: user",
    );
    const answers = [];
    for (const server of [a, b, a])
      answers.push(
        (
          await call(
            server,
            "/v1/auth/password",
            { username: "wanda", password: "wrong" },
            "limits two processes: wrong",
          )
        ).body.errorCode,
      );
    assert.deepEqual(answers, [
      ApiReturnCode.PartnerUserLoginFailed,
      ApiReturnCode.PartnerUserLoginFailed,
      ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded,
    ]);
    for (const server of [a, b]) {
      const right = await call(
        server,
        "/v1/auth/password",
        { username: "wanda", password: "correct horse" },
        "limits two processes: right while locked for good",
      );
      assert.equal(right.body.errorCode, ApiReturnCode.MaximumLoginPartnerUserAttempsExceeded);
      assert.match(right.body.errorMessage, /until an administrator clears it/);
    }
  });
});
