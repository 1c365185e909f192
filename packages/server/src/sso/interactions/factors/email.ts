import { outOfBandFactor } from "./out-of-band-factor.ts";

/** A code by e-mail: RFC 8176 has no value for mail, so `otp` alone (a one-time code). */
export const emailFactor = outOfBandFactor("email", ["otp"]);
