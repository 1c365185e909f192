import assert from "node:assert/strict";
import type { ApiResponse } from "./api-client.ts";
import { bodyText, mailTo, type SmtpSink } from "./smtp-sink.ts";

/** A call against one tenant of a server: what the challenge tests need of either kind of server. */
export type Call = (method: string, path: string, body: unknown, scenario: string) => Promise<ApiResponse>;

export interface SentChallenge {
  readonly challengeId: string;
  readonly serial: string;
  readonly method: string;
  readonly maskedDestination: string;
  readonly expiresAt: string;
}

/**
 * The code in the `count`th e-mail to `address`, read from the message the SMTP peer received:
 * the only digits of 6 or 8 in the body (the headers carry dates and ids, so they are skipped).
 */
export async function mailedCode(sink: SmtpSink, address: string, count: number): Promise<string> {
  const mails = await mailTo(sink, address, count);
  const mail = mails[count - 1];
  assert.ok(mail !== undefined);
  const text = bodyText(mail);
  const body = text.slice(text.search(/\r?\n\r?\n/));
  const codes = body.match(/(?<!\d)(\d{8}|\d{6})(?!\d)/g) ?? [];
  assert.equal(codes.length, 1, `one code in the message: ${body}`);
  return codes[0] as string;
}

/**
 * A verified e-mail device of `username` at `address`: created (its verification code is read
 * from the SMTP peer) and activated with that code and its challenge.
 */
export async function verifiedEmailDevice(
  call: Call,
  sink: SmtpSink,
  username: string,
  address: string,
): Promise<string> {
  const before = sink.to(address).length;
  const created = await call(
    "POST",
    "/v1/authenticators",
    { type: "email", username, destination: address },
    "challenges: setup",
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const challenge = created.body.challenge as SentChallenge;
  const code = await mailedCode(sink, address, before + 1);
  const activated = await call(
    "POST",
    `/v1/authenticators/${challenge.serial}/activate`,
    { otp: code, challengeId: challenge.challengeId },
    "challenges: setup",
  );
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  return challenge.serial;
}

/** Sends a sign-in code to the user's device and reads it from the SMTP peer. */
export async function sentCode(
  call: Call,
  sink: SmtpSink,
  body: Record<string, unknown>,
  address: string,
  scenario = "challenges: send",
): Promise<{ challenge: SentChallenge; code: string }> {
  const before = sink.to(address).length;
  const r = await call("POST", "/v1/auth/challenge", body, scenario);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const { errorCode: _c, errorName: _n, errorMessage: _m, ...challenge } = r.body;
  return {
    challenge: challenge as unknown as SentChallenge,
    code: await mailedCode(sink, address, before + 1),
  };
}
