import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { AuthenticatorRow } from "../../../authenticators/authenticator-store.ts";
import {
  maskedDestinationOf,
  sendChallenge,
  verifyChallengeCode,
} from "../../../out-of-band/challenges/challenge-operations.ts";
import { html, type SafeHtml } from "../../../pages/html.ts";
import { bypass } from "../sign-in-context.ts";
import { alert, form } from "../step-pages.ts";
import { bindToSignIn, boundToSignIn } from "./factor-binding.ts";
import { FactorPage, type FactorSignIn, type SecondFactor } from "./second-factor.ts";

const usableOf = (type: string) => (rows: readonly AuthenticatorRow[]) =>
  rows.filter((row) => row.type === type && row.enabled === 1 && row.activated === 1);

/**
 * The code form after a send: the challenge id travels in the page with its binding to this
 * sign-in (factor-binding.ts), the serial for "send a new code" (sendChallenge checks it is the
 * user's device again). Only the masked destination is ever shown.
 */
function codePage(sign: FactorSignIn, type: string, sent: Sent, problem?: string): SafeHtml {
  const { s } = sign;
  const code = form(
    s,
    "factor",
    html`<input type="hidden" name="factor" value="${type}">
<input type="hidden" name="challenge" value="${sent.challengeId}">
<input type="hidden" name="binding" value="${bindToSignIn(s, type, sent.challengeId)}">
<input type="hidden" name="serial" value="${sent.serial}">
<label for="otp-${type}">${s.t("codeFromMessage")}</label>
<input id="otp-${type}" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required autofocus>`,
    "continue",
    problem,
  );
  const resend = form(
    s,
    "factor",
    html`<input type="hidden" name="factor" value="${type}">
<input type="hidden" name="action" value="send">
<input type="hidden" name="serial" value="${sent.serial}">`,
    "sendAgain",
  );
  return html`<p role="status">${s.t("codeSentTo", { destination: sent.maskedDestination })}</p>
${alert(problem)}
${code}
${resend}
<p><a href="${s.path}">${s.t("otherWay")}</a></p>`;
}

interface Sent {
  readonly challengeId: string;
  readonly serial: string;
  readonly maskedDestination: string;
}

/** The device a posted serial names among the user's usable ones (a foreign serial is crafted). */
function deviceNamed(sign: FactorSignIn, serial: unknown): AuthenticatorRow {
  const device = sign.rows.find((row) => row.serial === serial);
  if (device === undefined) throw bypass("a serial that is not one of the user's usable devices");
  return device;
}

/**
 * A code sent by SMS, voice call or e-mail (A's sendChallenge / verifyChallengeCode): the choice
 * page lists the user's devices of the type, masked; "send code" is a POST (CSRF-checked like
 * every form: a prefetch sends nothing) that counts on the sending limits with the END USER's
 * address as the pages see it; the code form checks the code against the challenge of this
 * sign-in only; a resend supersedes the earlier code; wrong codes count on the device's lockout.
 */
export function outOfBandFactor(type: "sms" | "voice" | "email", amr: readonly string[]): SecondFactor {
  return {
    type,
    amr,
    usable: usableOf(type),
    button: "sendCode",
    startFailed: "sendFailed",
    fields(t, sign) {
      const rows = sign?.rows ?? [];
      const choices = rows.map(
        (row, i) =>
          html`<label><input type="radio" name="serial" value="${row.serial}"${i === 0 ? html` checked` : html``}> ${t("sendCodeTo", { destination: sign === undefined ? "" : maskedDestinationOf(sign.s.ctx, row) })}</label>`,
      );
      return html`<input type="hidden" name="action" value="send">
<fieldset><legend>${t(type === "email" ? "byEmail" : type === "sms" ? "bySms" : "byVoice")}</legend>${choices}</fieldset>`;
    },
    async start(sign, body) {
      const { s } = sign;
      const device = deviceNamed(sign, body.serial ?? sign.rows[0]?.serial);
      const sent = await sendChallenge(s.ctx, {
        tenant: s.tenant,
        user: sign.user,
        serial: device.serial,
        sourceIp: s.request.ip,
        locale: s.locale,
        reply: s.reply,
      });
      return new FactorPage(codePage(sign, type, sent), ApiReturnCode.Success);
    },
    async verify(ctx, tenant, _rows, body, sign) {
      if (sign === undefined) throw bypass("an out-of-band code without its sign-in");
      // No challenge, or one this sign-in did not start (another browser's, another user's):
      // the code step was not reached by sending, so it is a skipped step.
      if (!boundToSignIn(sign.s, type, body.challenge, body.binding))
        throw bypass("a code without a challenge of this sign-in");
      const challengeId = body.challenge as string;
      const device = deviceNamed(sign, body.serial);
      const sent = {
        challengeId,
        serial: device.serial,
        maskedDestination: maskedDestinationOf(ctx, device),
      };
      try {
        await verifyChallengeCode(ctx, {
          tenant,
          user: sign.user,
          challengeId,
          otp: typeof body.otp === "string" ? body.otp : "",
        });
      } catch (error) {
        if (!TesseraError.is(error)) throw error;
        const expired = error.code === ApiReturnCode.SendOTPExpired;
        const wrong = error.code === ApiReturnCode.OTPInvalid || error.code === ApiReturnCode.BogusOTP;
        // A wrong code is the page's own code; the others (expired, locked) keep their meaning.
        const code = wrong ? ApiReturnCode.PartnerUserLoginFailedInvalidOTP : error.code;
        const problem = sign.s.t(expired ? "codeExpired" : "codeRejected");
        throw new FactorPage(codePage(sign, type, sent, problem), code);
      }
    },
  };
}
