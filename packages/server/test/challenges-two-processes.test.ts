import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { apiRequest } from "./helpers/api-client.ts";
import { assertBurstHeld } from "./helpers/burst.ts";
import { type Call, sentCode, verifiedEmailDevice } from "./helpers/challenge-devices.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";
import { type SmtpSink, startSmtpSink } from "./helpers/smtp-sink.ts";

/** The default a new tenant gets (tenant-store.ts). */
const OTP_LIMIT = 5;

/** Sent codes answered on two server processes on one PostgreSQL: single use and the lockout hold. */
suite("sent codes across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let sink: SmtpSink;
  let n = 0;
  before(async () => {
    sink = await startSmtpSink();
    pair = await startProcessPair("challenging", "challenges two processes: setup", {
      TESSERA_SMTP_HOST: "127.0.0.1",
      TESSERA_SMTP_PORT: String(sink.port),
    });
  });
  after(async () => {
    await pair.close();
    await sink.close();
  });
  const on =
    (server: ServerProcess): Call =>
    (method, path, body, scenario) =>
      apiRequest(`${server.url}${path}`, {
        method,
        scenario,
        headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
  const verifiedUser = async () => {
    n += 1;
    const username = `two${n}`;
    const address = `${username}@mail.example`;
    const r = await on(pair.a)(
      "POST",
      "/v1/users",
      { username, password: "correct horse battery" },
      "challenges two processes: setup",
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await verifiedEmailDevice(on(pair.a), sink, username, address);
    return { username, address };
  };

  test("the right code sent 20 times at once over both processes is accepted once", async () => {
    const { username, address } = await verifiedUser();
    const { challenge, code } = await sentCode(
      on(pair.b),
      sink,
      { username },
      address,
      "challenges two processes: send",
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        on(i % 2 ? pair.a : pair.b)(
          "POST",
          "/v1/auth/otp",
          { username, otp: code, challengeId: challenge.challengeId },
          "challenges two processes: same code",
        ),
      ),
    );
    const codes = results.map((r) => r.body.errorCode);
    assert.equal(codes.filter((c) => c === 0).length, 1, JSON.stringify(codes));
    const allowed = new Set<number>([
      0,
      ApiReturnCode.OTPAlreadyUsed,
      ApiReturnCode.MaximumFailedOTPRequestsExceeded,
    ]);
    assert.ok(
      codes.every((c) => allowed.has(c)),
      JSON.stringify(codes),
    );
    // Never logged: neither process printed the code anywhere.
    for (const server of [pair.a, pair.b])
      assert.ok(!JSON.stringify(server.logs).includes(code), "the code appears in a log line");
  });

  test("40 guesses (one right) over both processes: at most the limit evaluated", async () => {
    const { username, address } = await verifiedUser();
    const { challenge, code } = await sentCode(
      on(pair.a),
      sink,
      { username },
      address,
      "challenges two processes: send",
    );
    const rightIndex = 29;
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        on(i % 2 ? pair.a : pair.b)(
          "POST",
          "/v1/auth/otp",
          { username, otp: i === rightIndex ? code : wrong(i), challengeId: challenge.challengeId },
          "challenges two processes: guesses",
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
});
