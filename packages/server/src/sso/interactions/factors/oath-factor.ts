import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { validateOtp } from "../../../authenticators/validate-otp.ts";
import { html } from "../../../pages/html.ts";
import type { SecondFactor } from "./second-factor.ts";

/**
 * An OATH factor (TOTP, HOTP): a one-time code checked exactly as POST /v1/auth/otp checks it
 * (authenticators/validate-otp.ts): the token's lockout counted before any code is computed, the
 * position moved by compare-and-set so a code is accepted once, replays refused.
 */
export function oathFactor(type: "totp" | "hotp"): SecondFactor {
  return {
    type,
    amr: "otp",
    usable: (rows) => rows.filter((row) => row.type === type && row.enabled === 1 && row.activated === 1),
    fields: (t) =>
      html`<label for="otp-${type}">${t(type === "totp" ? "codeFromApp" : "codeFromToken")}</label>
<input id="otp-${type}" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required>`,
    async verify(ctx, tenant, rows, body) {
      const otp = typeof body.otp === "string" ? body.otp : "";
      try {
        await validateOtp(ctx, tenant, rows, otp);
      } catch (error) {
        // A wrong or malformed code on the sign-in page is the page's own code; the others
        // (locked, replayed, drifted) keep their precise meaning in the audit trail.
        if (
          TesseraError.is(error) &&
          (error.code === ApiReturnCode.OTPInvalid || error.code === ApiReturnCode.BogusOTP)
        )
          throw new TesseraError(ApiReturnCode.PartnerUserLoginFailedInvalidOTP, {
            message: "the code is not valid",
          });
        throw error;
      }
    },
  };
}
