import { oathFactor } from "./oath-factor.ts";

/** Counter-based one-time codes (RFC 4226) from a hardware token. */
export const hotpFactor = oathFactor("hotp");
