import assert from "node:assert/strict";
import type { ApiResponse } from "./api-client.ts";

/**
 * A burst of guesses, exactly one of them right: at most `limit` may be evaluated (answered "wrong"
 * or accepted); every other answer is the lock, and the right guess, when it was not evaluated,
 * gets exactly the answer the wrong ones get.
 */
export function assertBurstHeld(
  results: readonly ApiResponse[],
  rightIndex: number,
  wrongCode: number,
  lockedCode: number,
  limit: number,
): void {
  const evaluated = results.filter((r) => r.body.errorCode === wrongCode || r.body.errorCode === 0);
  assert.ok(evaluated.length <= limit, `${evaluated.length} guesses were evaluated, limit ${limit}`);
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
