import type { KeyObject } from "node:crypto";
import type { AuthenticatorType, Match, OathState } from "../authenticator-type.ts";
import { oathCode } from "../oath/oath-code.ts";
import { configureOath } from "../oath/oath-parameters.ts";
import { otpauthUri } from "../oath/otpauth-uri.ts";
import { sameCode } from "../oath/same-code.ts";

/**
 * RFC 4226 event-based tokens. The position is the next counter expected; a code is looked for up
 * to HOTP_LOOK_AHEAD counters ahead (button presses that never reached the server) and accepting it
 * moves the position past it, so that code and every earlier one are spent. A code further ahead,
 * within DRIFT_BOUND, means the token has run away from the server: resynchronise it.
 */
export const HOTP_LOOK_AHEAD = 10;
const LOOK_BACK = 10;
const DRIFT_BOUND = 100;
const RESYNC_LOOK_AHEAD = 1000;

export const hotpType: AuthenticatorType = {
  type: "hotp",
  configure: (input) => configureOath(input, false),
  initialPosition: () => 0,

  match(secret: KeyObject, state: OathState, otp: string): Match {
    const codeAt = (counter: number) => oathCode(secret, counter, state.algorithm, state.digits);
    for (let counter = state.position; counter <= state.position + HOTP_LOOK_AHEAD; counter += 1) {
      if (sameCode(codeAt(counter), otp)) return { kind: "accept", position: counter + 1, drift: 0 };
    }
    for (let counter = Math.max(0, state.position - LOOK_BACK); counter < state.position; counter += 1) {
      if (sameCode(codeAt(counter), otp)) return { kind: "replay" };
    }
    for (
      let counter = state.position + HOTP_LOOK_AHEAD + 1;
      counter <= state.position + DRIFT_BOUND;
      counter += 1
    ) {
      if (sameCode(codeAt(counter), otp)) return { kind: "drift" };
    }
    return { kind: "none" };
  },

  resync(secret, state, otp1, otp2) {
    for (let counter = state.position; counter <= state.position + RESYNC_LOOK_AHEAD; counter += 1) {
      if (
        sameCode(oathCode(secret, counter, state.algorithm, state.digits), otp1) &&
        sameCode(oathCode(secret, counter + 1, state.algorithm, state.digits), otp2)
      ) {
        return { position: counter + 2, drift: 0 };
      }
    }
    return undefined;
  },

  provisioningUri: (secret, parameters, state, issuer, account) =>
    otpauthUri("hotp", secret, parameters, issuer, account, state.position),
};
