import { ApiReturnCode, TesseraError } from "@tessera/codes";
import {
  finishRegistration,
  startRegistration,
} from "../../authenticators/webauthn/registration-ceremony.ts";
import type { WebAuthnKeyView } from "../../authenticators/webauthn/webauthn-key-view.ts";
import { html } from "../../pages/html.ts";
import { sendPage } from "../../pages/page-routes.ts";
import {
  allowWebauthnScript,
  ceremonyFields,
  postedCeremony,
  postedCredential,
  scriptTag,
} from "./factors/webauthn-ceremony.ts";
import { keyActionAllowed } from "./key-action.ts";
import { bypass, type SignIn } from "./sign-in-context.ts";
import { statusOf, towardsApp } from "./sign-in-flow.ts";
import { findUserById } from "./sign-in-user.ts";
import { alert, form } from "./step-pages.ts";

/**
 * The `register-key` step (sign-in-machine.md): the app asked for a key (key-action.ts) and the
 * person has signed in with every factor required, in this interaction. The form and ceremony are
 * the enrolment step's (the page script asks `webauthn-options` for a new key of this user, bound
 * to this sign-in and this step by factor-binding.ts). "Not now" goes on to the app without a
 * key: the app asked, the person declined; the app's own page may ask again another time.
 */
export async function showRegisterKey(
  s: SignIn,
  problem?: string,
  code: number = ApiReturnCode.Success,
): Promise<void> {
  // Settings changed since the step was entered: only the way on is left.
  const offered = keyActionAllowed(s.tenant, s.app);
  if (offered) allowWebauthnScript(s);
  const keyForm = offered
    ? html`${form(s, "register-key", html`<input type="hidden" name="factor" value="webauthn">${ceremonyFields(s.t)}`, "enrolKeyButton", problem)}
${scriptTag}`
    : html``;
  const body = html`<p>${s.t("keyActionIntro", { app: s.app.name, username: s.username ?? "" })}</p>
${alert(problem)}
${keyForm}
${form(s, "register-key", html`<input type="hidden" name="decision" value="skip">`, "notNow")}`;
  await sendPage(s.reply, statusOf(code), code, s.t("keyActionTitle"), body);
}

/** The script's ceremony at this step: a new key of the signed-in user (a passkey where it can be). */
export async function keyActionOptions(s: SignIn) {
  if (!keyActionAllowed(s.tenant, s.app)) throw bypass("the tenant or the app does not allow adding a key");
  const user = await findUserById(s.ctx, s.tenant.id, s.row.user_id ?? "");
  return startRegistration(s.ctx, { tenant: s.tenant, user, app: s.app, residentKey: "preferred" });
}

/**
 * A key (finishRegistration spends the ceremony first and holds it to this user) or "Not now".
 * The key adds a factor, it proves nothing of this sign-in: the amr stays what the factors
 * proved. The audit event of the post names the key registered, as POST
 * /v1/webauthn/registration/verify does.
 */
export async function postRegisterKey(s: SignIn, body: Record<string, unknown>): Promise<void> {
  if (body.decision === "skip" && body.factor === undefined) return towardsApp(s, s.row);
  if (body.factor !== "webauthn") throw bypass("a key step post with neither a key nor a decision");
  if (!keyActionAllowed(s.tenant, s.app)) throw bypass("the tenant or the app does not allow adding a key");
  const ceremonyId = postedCeremony(s, body);
  const user = await findUserById(s.ctx, s.tenant.id, s.row.user_id ?? "");
  let key: WebAuthnKeyView;
  try {
    key = await finishRegistration(s.ctx, {
      tenant: s.tenant,
      ceremonyId,
      response: postedCredential(body),
      user,
    });
  } catch (error) {
    if (!TesseraError.is(error) || error.code === ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass)
      throw error;
    return showRegisterKey(s, s.t("keyRejected"), error.code);
  }
  s.request.auditSubject = `authenticator:${key.serial}`;
  return towardsApp(s, s.row);
}
