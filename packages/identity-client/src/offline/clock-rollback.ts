import type { SessionData } from "../session/session-data.ts";
import { CLOCK_TOLERANCE_MS } from "./grace-from-id-token.ts";

/**
 * The earliest the local clock may read for this record: the latest of the last server time (the
 * tokens part records the ID token's iat and the answers' Date), the last local time (ratcheted by
 * every offline decision), when the tokens were obtained, and a start the server signed (a
 * verified iat). Anything in the record that is not a time counts as nothing.
 */
export function timeFloor(data: SessionData, signedStart?: number): number {
  return Math.max(
    finite(data.lastServerTime),
    finite(data.lastLocalTime),
    finite(data.tokens?.obtainedAt),
    finite(signedStart),
  );
}

/**
 * Whether the local clock reads earlier than a time already seen, beyond CLOCK_TOLERANCE_MS: it
 * was rolled back (or gives no number). An access token that looks valid by such a clock is not to
 * be trusted without the server: the clock may have been set back to make it look valid.
 */
export const clockRolledBack = (data: SessionData, now: number, signedStart?: number): boolean =>
  !Number.isFinite(now) || now < timeFloor(data, signedStart) - CLOCK_TOLERANCE_MS;

/** A stored time, or 0 when the record holds none (or something that is not a time). */
export const finite = (time: unknown): number =>
  typeof time === "number" && Number.isFinite(time) ? time : 0;
