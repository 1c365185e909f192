import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { activateAuthenticator } from "../../authenticators/activate-authenticator.ts";
import { qrDataUrl } from "../../authenticators/authenticator-routes.ts";
import { openSecret } from "../../authenticators/authenticator-secret.ts";
import { type AuthenticatorRow, findForUser } from "../../authenticators/authenticator-store.ts";
import { encodeBase32 } from "../../authenticators/oath/base32.ts";
import { oathType } from "../../authenticators/registry.ts";
import { stateOf } from "../../authenticators/validate-otp.ts";
import type { SafeHtml } from "../../pages/html.ts";
import { sendPage } from "../../pages/page-routes.ts";
import { enrolKeyForm, registerKeyAtEnrolment } from "./factors/passkey-sign-in.ts";
import { factorNamed, factorsFor } from "./factors/registry.ts";
import {
  amrValues,
  FactorPage,
  FactorProblem,
  type FactorSignIn,
  type SecondFactor,
} from "./factors/second-factor.ts";
import { bypass, type SignIn } from "./sign-in-context.ts";
import { afterSecondFactor, statusOf } from "./sign-in-flow.ts";
import { amrOf } from "./sign-in-store.ts";
import { findUserById } from "./sign-in-user.ts";
import { enrolPage, factorPage } from "./step-pages.ts";

/** The factors this user can use for this app now, with the authenticators each would check. */
async function usableFactors(s: SignIn) {
  const userId = s.row.user_id;
  if (userId === null) throw bypass("a second factor before the password");
  const rows = await findForUser(s.ctx.database.db, userId);
  return factorsFor(s.app, amrOf(s.row))
    .map((factor) => ({ factor, rows: factor.usable(rows) }))
    .filter((entry) => entry.rows.length > 0);
}

/** What a factor with a send or wait step needs: the page, the user, its devices. */
async function signInFor(s: SignIn, rows: readonly AuthenticatorRow[]): Promise<FactorSignIn> {
  return { s, user: await findUserById(s.ctx, s.tenant.id, s.row.user_id ?? ""), rows };
}

export async function showFactor(
  s: SignIn,
  problem?: string,
  code: number = ApiReturnCode.Success,
): Promise<void> {
  const factors: { factor: SecondFactor; sign: FactorSignIn }[] = [];
  for (const entry of await usableFactors(s))
    factors.push({ factor: entry.factor, sign: await signInFor(s, entry.rows) });
  await sendPage(s.reply, statusOf(code), code, s.t("secondFactorTitle"), factorPage(s, factors, problem));
}

/**
 * The second factor: the posted factor must be one the app accepts and the user has; its check
 * is the API's (lockout, replay). A wrong code stays on the step (PartnerUserLoginFailedInvalidOTP
 * audited); the token's lockout bounds the guesses. A factor that sends something first
 * (out-of-band codes, push) is started by a post with `action=send` and shows its own page next
 * (FactorPage); the step stays `factor` until its proof is posted.
 */
export async function postFactor(s: SignIn, body: Record<string, unknown>): Promise<void> {
  const factor = factorNamed(s.app, body.factor, amrOf(s.row));
  const entry = (await usableFactors(s)).find((e) => e.factor === factor);
  if (factor === undefined || entry === undefined) throw bypass("a factor the app or the user does not have");
  const sign = await signInFor(s, entry.rows);
  if (body.action === "send") return startFactor(s, factor, sign, body);
  if (body.action !== undefined) throw bypass(`an unknown action ${String(body.action)}`);
  let shown: readonly string[] | undefined;
  try {
    shown = await factor.verify(s.ctx, s.tenant, entry.rows, body, sign);
  } catch (error) {
    if (error instanceof FactorPage)
      return sendPage(s.reply, statusOf(error.code), error.code, s.t("secondFactorTitle"), error.body);
    if (error instanceof FactorProblem) return showFactor(s, s.t(error.message), error.code);
    if (!TesseraError.is(error) || error.code === ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass)
      throw error;
    return showFactor(s, s.t("codeRejected"), error.code);
  }
  const amr = [...amrOf(s.row), ...amrValues(factor), ...(shown ?? [])];
  return afterSecondFactor(s, s.row, { amr: [...new Set(amr)] });
}

/**
 * Sends the factor's code or request (a POST: never on a GET, which a prefetch could make) and
 * shows its next page; a refusal (transport, sending limits, push limits) is the choice page
 * with the factor's message, the precise code audited.
 */
async function startFactor(
  s: SignIn,
  factor: SecondFactor,
  sign: FactorSignIn,
  body: Record<string, unknown>,
): Promise<void> {
  if (factor.start === undefined) throw bypass(`factor ${factor.type} sends nothing`);
  let next: FactorPage;
  try {
    next = await factor.start(sign, body);
  } catch (error) {
    if (!TesseraError.is(error) || error.code === ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass)
      throw error;
    return showFactor(s, s.t(factor.startFailed ?? "sendFailed"), error.code);
  }
  return sendPage(s.reply, statusOf(next.code), next.code, s.t("secondFactorTitle"), next.body);
}

/** The token being enrolled on this sign-in: the user's own, not yet activated. */
async function enrolment(s: SignIn) {
  const userId = s.row.user_id;
  if (userId === null || s.row.enrol_id === null) throw bypass("an enrolment without a user");
  const token = (await findForUser(s.ctx.database.db, userId)).find((row) => row.id === s.row.enrol_id);
  if (token === undefined || token.activated === 1) throw bypass("the enrolment is no longer open");
  return token;
}

export async function showEnrol(
  s: SignIn,
  problem?: string,
  code: number = ApiReturnCode.Success,
): Promise<void> {
  const token = await enrolment(s);
  const user = await findUserById(s.ctx, s.tenant.id, token.user_id ?? "");
  const secret = openSecret(s.ctx, token).export();
  const uri = oathType(token.type).provisioningUri(
    secret,
    { algorithm: token.algorithm, digits: token.digits, period: token.period } as Parameters<
      ReturnType<typeof oathType>["provisioningUri"]
    >[1],
    stateOf(token),
    s.tenant.name,
    user.username,
  );
  const page: SafeHtml = enrolPage(s, await qrDataUrl(uri), encodeBase32(secret), problem, enrolKeyForm(s));
  await sendPage(s.reply, statusOf(code), code, s.t("enrolTitle"), page);
}

/**
 * The first code from the new token activates it and proves the second factor; or a security
 * key registered instead (passkey-sign-in.ts), which leaves the app token unactivated.
 */
export async function postEnrol(s: SignIn, body: Record<string, unknown>): Promise<void> {
  const token = await enrolment(s);
  if (body.factor === "webauthn") {
    let amr: readonly string[];
    try {
      amr = await registerKeyAtEnrolment(s, body);
    } catch (error) {
      if (!TesseraError.is(error) || error.code === ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass)
        throw error;
      return showEnrol(s, s.t("keyRejected"), error.code);
    }
    return afterSecondFactor(s, s.row, { amr });
  }
  const otp = typeof body.otp === "string" ? body.otp : "";
  try {
    await activateAuthenticator(s.ctx, s.tenant, token, [{ field: "body.otp", otp }], "activate");
  } catch (error) {
    if (!TesseraError.is(error)) throw error;
    const code =
      error.code === ApiReturnCode.OTPInvalid || error.code === ApiReturnCode.BogusOTP
        ? ApiReturnCode.PartnerUserLoginFailedInvalidOTP
        : error.code;
    return showEnrol(s, s.t("codeRejected"), code);
  }
  return afterSecondFactor(s, s.row, { amr: [...amrOf(s.row), "otp"] });
}
