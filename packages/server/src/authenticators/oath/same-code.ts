import { timingSafeEqual } from "node:crypto";

/** Constant-time comparison of two codes of the same length. */
export function sameCode(expected: string, presented: string): boolean {
  return (
    expected.length === presented.length && timingSafeEqual(Buffer.from(expected), Buffer.from(presented))
  );
}
