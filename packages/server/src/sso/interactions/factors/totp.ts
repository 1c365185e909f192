import { oathFactor } from "./oath-factor.ts";

/** Time-based one-time codes (RFC 6238) from an authenticator app. */
export const totpFactor = oathFactor("totp");
