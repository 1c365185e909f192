import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { finishAuthentication } from "../../../authenticators/webauthn/authentication-ceremony.ts";
import { html } from "../../../pages/html.ts";
import { bypass } from "../sign-in-context.ts";
import { FactorProblem, type SecondFactor } from "./second-factor.ts";
import {
  allowWebauthnScript,
  ceremonyFields,
  postedCeremony,
  postedCredential,
  scriptTag,
} from "./webauthn-ceremony.ts";

/**
 * A security key or passkey as the second factor. The choice page's form carries no challenge:
 * the page's script asks for a ceremony for this sign-in's user (webauthn-options, a POST) when
 * the person presses the button, runs navigator.credentials.get and posts the assertion here.
 * finishAuthentication spends the ceremony (single use), checks the signature and the counter,
 * and that the credential is this user's. RFC 8176: `hwk` (proof of possession of a hardware
 * key), with `otp` as every second factor (the sessions' "second factor proved" mark,
 * docs/authenticators.md); `user` when the key verified the person (UV: a PIN or a biometric,
 * which the assertion does not tell apart, so neither `pin` nor `fpt` is claimed).
 */
export const webauthnFactor: SecondFactor = {
  type: "webauthn",
  amr: ["otp", "hwk"],
  sameAsFirst: "hwk",
  button: "webauthnUseKey",
  usable: (rows) => rows.filter((row) => row.type === "webauthn" && row.enabled === 1 && row.activated === 1),
  fields(t, sign) {
    if (sign !== undefined) allowWebauthnScript(sign.s);
    return html`${ceremonyFields(t)}${scriptTag}`;
  },
  async verify(ctx, tenant, rows, body, sign) {
    if (sign === undefined) throw bypass("a security key answer without its sign-in");
    const ceremonyId = postedCeremony(sign.s, body);
    try {
      const result = await finishAuthentication(ctx, {
        tenant,
        ceremonyId,
        response: postedCredential(body),
        user: sign.user,
        requestId: sign.s.request.id,
        sourceIp: sign.s.request.ip,
      });
      // finishAuthentication already holds the credential to the user; checked again here so
      // that nothing but one of this user's usable keys (enabled, activated) ever proves it.
      if (result.user.id !== sign.user.id || !rows.some((row) => row.id === result.authenticator.id))
        throw new TesseraError(ApiReturnCode.BogusUniqueDeviceId, {
          message: "the security key is not one of this user's usable keys",
        });
      return result.userVerified ? ["user"] : undefined;
    } catch (error) {
      if (!TesseraError.is(error) || error.code === ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass)
        throw error;
      // The page says one sentence; the audit trail keeps the precise code.
      throw new FactorProblem("keyRejected", error.code);
    }
  },
};
