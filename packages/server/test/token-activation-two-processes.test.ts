import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { decodeBase32 } from "../src/authenticators/oath/base32.ts";
import { apiRequest } from "./helpers/api-client.ts";
import { assertActivationBurstHeld } from "./helpers/burst.ts";
import { oathtoolHotp } from "./helpers/oathtool.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import type { ServerProcess } from "./helpers/server-process.ts";

/** The default a new tenant gets (tenant-store.ts); only the same-code burst loosens it, and says why. */
const OTP_LIMIT = 5;

/** One-code activations spread over two server processes on one PostgreSQL. */
suite("one-code activation across two server processes on one PostgreSQL", () => {
  let pair: ProcessPair;
  let a: ServerProcess;
  let b: ServerProcess;
  let apiKey = "";
  before(async () => {
    pair = await startProcessPair("activating", "activation two processes: setup");
    ({ a, b, apiKey } = pair);
  });
  after(() => pair.close());

  const call = (server: ServerProcess, path: string, body: unknown, scenario: string) =>
    apiRequest(`${server.url}${path}`, {
      method: "POST",
      scenario,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  /** A new HOTP token with a generated secret (so not activated), and that secret in hex. */
  const newToken = async () => {
    const r = await call(a, "/v1/authenticators", { type: "hotp" }, "activation two processes: token");
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const uri = new URL(String(r.body.provisioningUri));
    const hex = (decodeBase32(uri.searchParams.get("secret") ?? "") ?? Buffer.alloc(0)).toString("hex");
    return { serial: (r.body.authenticator as { serial: string }).serial, hex };
  };

  test("60 concurrent activations (one right) over both processes evaluate at most the limit", async () => {
    const { serial, hex } = await newToken();
    const rightIndex = 23;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(
          i % 2 ? a : b,
          `/v1/authenticators/${serial}/activate`,
          { otp: i === rightIndex ? oathtoolHotp(hex, 0) : String(700000 + i) },
          "activation two processes: burst",
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
      OTP_LIMIT,
    );
  });

  test("one right code sent 10 times at once over both processes activates once; the code is then spent", async () => {
    // A limit as large as the burst: no reservation can be refused by a lock the burst itself took,
    // so every answer but the one success is the replay refusal (the request read the token before
    // it was activated) or the already-active one (it read it afterwards).
    const patched = await apiRequest(`${a.url}/v1/tenant`, {
      method: "PATCH",
      scenario: "activation two processes: setup",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ otpMaxFailures: 10 }),
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const { serial, hex } = await newToken();
    const code = oathtoolHotp(hex, 2);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(
          i % 2 ? a : b,
          `/v1/authenticators/${serial}/activate`,
          { otp: code },
          "activation two processes: same code",
        ),
      ),
    );
    const codes = results.map((r) => r.body.errorCode);
    assert.equal(codes.filter((c) => c === 0).length, 1, JSON.stringify(codes));
    for (const c of codes.filter((c) => c !== 0))
      assert.ok(
        [ApiReturnCode.OTPAlreadyUsed, ApiReturnCode.DeviceAlreadyProvisioned].includes(c as never),
        JSON.stringify(codes),
      );
    await call(a, "/v1/users", { username: "otto" }, "activation two processes: user");
    await call(
      a,
      `/v1/authenticators/${serial}/assign`,
      { username: "otto" },
      "activation two processes: assign",
    );
    const replay = await call(
      b,
      "/v1/auth/otp",
      { username: "otto", otp: code },
      "activation two processes: replay",
    );
    assert.equal(replay.body.errorCode, ApiReturnCode.OTPAlreadyUsed);
    const next = await call(
      a,
      "/v1/auth/otp",
      { username: "otto", otp: oathtoolHotp(hex, 3) },
      "activation two processes: next code",
    );
    assert.equal(next.body.errorCode, 0);
  });
});
