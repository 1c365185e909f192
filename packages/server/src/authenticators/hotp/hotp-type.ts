import type { KeyObject } from "node:crypto";
import type { Match, OathState, OathType } from "../authenticator-type.ts";
import { oathCode } from "../oath/oath-code.ts";
import { configureOath, oathProblems } from "../oath/oath-parameters.ts";
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

/**
 * The largest counter accepted from the API or a PSKC file. RFC 4226 allows 64 bits, but a float
 * stops counting at 2^53 (`counter + 1 === counter`), and a real token pressed once a second
 * for a million years stays below 2^45; 2^48 leaves the look-ahead windows far inside the exact range.
 */
export const MAX_HOTP_COUNTER = 2 ** 48;

/** Defence in depth: a position stored by other means must still leave every window exact. */
const searchable = (position: number) =>
  Number.isSafeInteger(position) && position >= 0 && Number.isSafeInteger(position + RESYNC_LOOK_AHEAD + 2);

export const hotpType: OathType = {
  kind: "oath",
  type: "hotp",
  configure: (input) => configureOath(input, false),
  problems: (input) => oathProblems(input, false),
  initialPosition: () => 0,

  // The loops count offsets, not counters, so they end after a fixed number of codes whatever
  // the position is.
  match(secret: KeyObject, state: OathState, otp: string): Match {
    if (!searchable(state.position)) return { kind: "none" };
    const codeAt = (counter: number) => oathCode(secret, counter, state.algorithm, state.digits);
    for (let offset = 0; offset <= HOTP_LOOK_AHEAD; offset += 1) {
      const counter = state.position + offset;
      if (sameCode(codeAt(counter), otp)) return { kind: "accept", position: counter + 1, drift: 0 };
    }
    for (let offset = Math.min(LOOK_BACK, state.position); offset >= 1; offset -= 1) {
      if (sameCode(codeAt(state.position - offset), otp)) return { kind: "replay" };
    }
    for (let offset = HOTP_LOOK_AHEAD + 1; offset <= DRIFT_BOUND; offset += 1) {
      if (sameCode(codeAt(state.position + offset), otp)) return { kind: "drift" };
    }
    return { kind: "none" };
  },

  resync(secret, state, otp1, otp2) {
    if (!searchable(state.position)) return undefined;
    const codeAt = (counter: number) => oathCode(secret, counter, state.algorithm, state.digits);
    for (let offset = 0; offset <= RESYNC_LOOK_AHEAD; offset += 1) {
      const counter = state.position + offset;
      if (sameCode(codeAt(counter), otp1) && sameCode(codeAt(counter + 1), otp2)) {
        return { position: counter + 2, drift: 0 };
      }
    }
    return undefined;
  },

  provisioningUri: (secret, parameters, state, issuer, account) =>
    otpauthUri("hotp", secret, parameters, issuer, account, state.position),
};
