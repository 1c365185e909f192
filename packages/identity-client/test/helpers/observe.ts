import { recordObservedCode } from "@tessera/codes/coverage";
import type { IdentityResult } from "../../src/results/identity-result.ts";
import type { StoreResult } from "../../src/store/store-result.ts";

/**
 * Records the identity code a test observed for the coverage gate and passes the result on: every
 * IdentityResult's status, and a StoreResult's only when it failed (a stored value has no code).
 */
export const observe = <R extends IdentityResult<unknown> | StoreResult<unknown>>(
  result: R,
  scenario: string,
): R => {
  if (!("ok" in result) || !result.ok) recordObservedCode("identity", result.status, scenario);
  return result;
};
