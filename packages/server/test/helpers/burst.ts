import assert from "node:assert/strict";
import type { ApiResponse } from "./api-client.ts";

/**
 * A burst of guesses, exactly one of them right: at most `limit` may be evaluated (answered "wrong"
 * or accepted); every other answer is the lock, and the right guess, when it was not evaluated,
 * gets exactly the answer the wrong ones get.
 *
 * A success clears the failures (as it must: the user got in), so when the right guess was
 * accepted, the order of the burst decides how many wrong ones ran: fewer than `limit` before it
 * (`limit` would have taken the lock and refused it) and at most `limit` after it. That bound,
 * 2·limit − 1 wrong guesses, still fails a limiter that counts nothing.
 */
export function assertBurstHeld(
  results: readonly ApiResponse[],
  rightIndex: number,
  wrongCode: number,
  lockedCode: number,
  limit: number,
): void {
  const evaluated = results.filter((r) => r.body.errorCode === wrongCode || r.body.errorCode === 0);
  const accepted = (results[rightIndex] as ApiResponse).body.errorCode === 0;
  const wrong = evaluated.filter((r) => r.body.errorCode === wrongCode).length;
  const bound = accepted ? 2 * limit - 1 : limit;
  assert.ok(
    wrong <= bound && evaluated.length <= (accepted ? 2 * limit : limit),
    `${evaluated.length} guesses were evaluated (${wrong} wrong), limit ${limit}${accepted ? " on each side of the success" : ""}`,
  );
  const others = results.filter((r) => !evaluated.includes(r));
  for (const r of others) assert.equal(r.body.errorCode, lockedCode, JSON.stringify(r.body));
  const right = results[rightIndex] as ApiResponse;
  if (right.body.errorCode !== 0) {
    const wrongLocked = results.find((r, i) => i !== rightIndex && r.body.errorCode === lockedCode);
    assert.ok(wrongLocked !== undefined);
    assert.equal(right.status, wrongLocked.status);
    assert.equal(right.body.errorMessage, wrongLocked.body.errorMessage);
  }
}

/**
 * assertBurstHeld for a burst of activations of one new token: once the right code activated it,
 * later requests are refused as already active (`alreadyActive`) before any code is looked at, so
 * they are neither evaluated nor locked out. Such refusals may only follow an accepted right code.
 */
export function assertActivationBurstHeld(
  results: readonly ApiResponse[],
  rightIndex: number,
  codes: { wrong: number; locked: number; alreadyActive: number },
  limit: number,
): void {
  const right = results[rightIndex] as ApiResponse;
  const rest = results.filter((r) => r === right || r.body.errorCode !== codes.alreadyActive);
  if (rest.length < results.length)
    assert.equal(right.body.errorCode, 0, "refused as already active only after the right code activated it");
  assertBurstHeld(rest, rest.indexOf(right), codes.wrong, codes.locked, limit);
}
