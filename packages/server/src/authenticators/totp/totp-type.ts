import type { KeyObject } from "node:crypto";
import type { Match, OathParameters, OathState, OathType } from "../authenticator-type.ts";
import { oathCode, timeStep } from "../oath/oath-code.ts";
import { configureOath, oathProblems } from "../oath/oath-parameters.ts";
import { otpauthUri } from "../oath/otpauth-uri.ts";
import { sameCode } from "../oath/same-code.ts";

/**
 * RFC 6238 time-based tokens. A code is accepted one step either side of the expected step (the
 * current step corrected by the drift measured at the last success), only for a step later than the
 * last accepted one: that one check refuses the same code and every earlier code. A code found
 * further off, within DRIFT_BOUND steps, means the device clock has drifted too far: the token
 * must be resynchronised, and nothing is accepted.
 */
export const TOTP_WINDOW = 1;
export const DRIFT_BOUND = 10;
/** Resynchronisation searches a day either way. */
const RESYNC_STEPS = 2880;

function expectedStep(state: OathState, now: number): { current: number; expected: number } {
  const current = timeStep(now, state.period ?? 30);
  return { current, expected: current + state.drift };
}

export const totpType: OathType = {
  kind: "oath",
  type: "totp",
  configure: (input) => configureOath(input, true),
  problems: (input) => oathProblems(input, true),
  initialPosition: () => 0,

  match(secret: KeyObject, state: OathState, otp: string, now: number): Match {
    const { current, expected } = expectedStep(state, now);
    const codeAt = (step: number) => oathCode(secret, step, state.algorithm, state.digits);
    for (const offset of [0, -1, 1]) {
      const step = expected + offset;
      if (Math.abs(offset) <= TOTP_WINDOW && sameCode(codeAt(step), otp)) {
        return step <= state.position
          ? { kind: "replay" }
          : { kind: "accept", position: step, drift: step - current };
      }
    }
    for (let distance = TOTP_WINDOW + 1; distance <= DRIFT_BOUND; distance += 1) {
      for (const step of [expected - distance, expected + distance]) {
        if (sameCode(codeAt(step), otp))
          return step <= state.position ? { kind: "replay" } : { kind: "drift" };
      }
    }
    return { kind: "none" };
  },

  resync(secret, state, otp1, otp2, now) {
    const { current } = expectedStep(state, now);
    for (let step = current - RESYNC_STEPS; step <= current + RESYNC_STEPS; step += 1) {
      if (step <= state.position) continue;
      if (
        sameCode(oathCode(secret, step, state.algorithm, state.digits), otp1) &&
        sameCode(oathCode(secret, step + 1, state.algorithm, state.digits), otp2)
      ) {
        return { position: step + 1, drift: step + 1 - current };
      }
    }
    return undefined;
  },

  provisioningUri: (secret: Buffer, parameters: OathParameters, _state, issuer, account) =>
    otpauthUri("totp", secret, parameters, issuer, account),
};
