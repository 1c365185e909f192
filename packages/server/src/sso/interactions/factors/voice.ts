import { outOfBandFactor } from "./out-of-band-factor.ts";

/** A code read out in a telephone call: RFC 8176 `tel`, with `otp` (a one-time code). */
export const voiceFactor = outOfBandFactor("voice", ["otp", "tel"]);
