import { outOfBandFactor } from "./out-of-band-factor.ts";

/** A code by SMS: RFC 8176 `sms`, with `otp` (a one-time code). */
export const smsFactor = outOfBandFactor("sms", ["otp", "sms"]);
