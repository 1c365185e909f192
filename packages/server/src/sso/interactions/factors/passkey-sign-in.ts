import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import {
  finishAuthentication,
  startAuthentication,
} from "../../../authenticators/webauthn/authentication-ceremony.ts";
import {
  finishRegistration,
  startRegistration,
} from "../../../authenticators/webauthn/registration-ceremony.ts";
import { html, type SafeHtml } from "../../../pages/html.ts";
import { sendPage } from "../../../pages/page-routes.ts";
import { keyActionOptions } from "../register-key-step.ts";
import { bypass, type SignIn } from "../sign-in-context.ts";
import { afterPassword, type FirstFactor } from "../sign-in-flow.ts";
import { overCeremonyLimit, overSignInLimits } from "../sign-in-limits.ts";
import { amrOf } from "../sign-in-store.ts";
import { findUserById } from "../sign-in-user.ts";
import { form, passwordPage } from "../step-pages.ts";
import { factorNamed } from "./registry.ts";
import { webauthnFactor } from "./webauthn.ts";
import {
  allowWebauthnScript,
  bindCeremony,
  ceremonyFields,
  postedCeremony,
  postedCredential,
  scriptTag,
} from "./webauthn-ceremony.ts";

/**
 * Passkeys on the first page (sign-in without a username): offered where the app accepts the
 * security-key factor and the tenant has any key at all, so a tenant that never used WebAuthn
 * keeps its first page script-free. Whether a user has one is not asked: the page is the same
 * for everyone.
 */
async function passkeysOffered(s: SignIn): Promise<boolean> {
  if (factorNamed(s.app, webauthnFactor.type) === undefined) return false;
  const any = await s.ctx.database.db
    .selectFrom("webauthn_credentials")
    .select("authenticator_id")
    .where("tenant_id", "=", s.tenant.id)
    .limit(1)
    .executeTakeFirst();
  return any !== undefined;
}

/** The first page, with the passkey button and autofill where passkeys are offered. */
export async function sendPasswordPage(s: SignIn, status: number, code: number, problem?: string) {
  let passkey: SafeHtml | undefined;
  if (await passkeysOffered(s)) {
    allowWebauthnScript(s);
    passkey = html`<form method="post" action="${s.path}/passkey" data-conditional>
<input type="hidden" name="csrf" value="${s.csrf}">
${ceremonyFields(s.t)}
<button type="submit">${s.t("passkeySignIn")}</button>
</form>
${scriptTag}`;
  }
  return sendPage(s.reply, status, code, s.t("signInTitle"), passwordPage(s, problem, passkey));
}

/**
 * A ceremony for the page's script (POST `<interaction>/webauthn-options`, JSON), by the step the
 * sign-in is at: the first page a discoverable sign-in (no user; UV preferred, see postPasskey),
 * the factor step one for this user's keys, the enrolment step and the app's `register-key`
 * action a new key of this user (discoverable where the key can: a passkey for the next
 * sign-in). Anything else is a bypass.
 */
export async function webauthnOptions(s: SignIn) {
  const { ctx, tenant, app } = s;
  const step = s.row.step;
  // Each call stores a ceremony, and the first page's is anyone's to ask for: a per-source limit
  // (counted in the database, across processes) bounds what a flood can store.
  if (await overCeremonyLimit(s))
    throw new TesseraError(TesseraApiCode.RateLimited, {
      message: "too many sign-in attempts from this address: try again in a minute",
    });
  let kind: "get" | "create" = "get";
  let started: { ceremonyId: string; options: unknown };
  if (step === "password") {
    if (!(await passkeysOffered(s))) throw bypass("passkeys are not offered here");
    started = await startAuthentication(ctx, { tenant, app, userVerification: "preferred" });
  } else if (step === "factor" || step === "enrol") {
    const user = await findUserById(ctx, tenant.id, s.row.user_id ?? "");
    const proved = step === "factor" ? amrOf(s.row) : [];
    if (factorNamed(app, webauthnFactor.type, proved) === undefined)
      throw bypass("the app does not accept security keys");
    if (step === "enrol") {
      kind = "create";
      started = await startRegistration(ctx, { tenant, user, app, residentKey: "preferred" });
    } else started = await startAuthentication(ctx, { tenant, user, app });
  } else if (step === "register-key") {
    // The app's action after a full sign-in (register-key-step.ts): a new key, as at enrolment.
    kind = "create";
    started = await keyActionOptions(s);
  } else throw bypass(`no WebAuthn ceremony at step ${step}`);
  return {
    kind,
    ceremonyId: started.ceremonyId,
    binding: bindCeremony(s, started.ceremonyId),
    options: started.options,
  };
}

/**
 * Signing in with a passkey on the first page (POST `<interaction>/passkey`, only while the
 * sign-in is there). The per-address limit of the password step applies; the assertion names
 * its user (the credential's user handle). With UV the key verified the person, so it proves
 * both factors (amr hwk, user, and otp as every second factor: the tenant's or app's
 * second-factor requirement is met, the way a push approved on an unlocked phone meets it).
 * Without UV it is the first factor only (amr hwk): the second factor follows as after a
 * password, and a security key is not offered for it (the same key). A lockout from wrong
 * passwords does not stop a passkey: it guards guessing, and nothing here is guessed.
 */
export async function postPasskey(s: SignIn, body: Record<string, unknown>): Promise<void> {
  if (s.row.step !== "password") throw bypass(`a passkey while the sign-in is at ${s.row.step}`);
  if (!(await passkeysOffered(s))) throw bypass("passkeys are not offered here");
  const failed = (code: number) => sendPasswordPage(s, 401, code, s.t("passkeyFailed"));
  if (await overSignInLimits(s)) return failed(TesseraApiCode.RateLimited);
  const ceremonyId = postedCeremony(s, body);
  let first: FirstFactor;
  let user: Awaited<ReturnType<typeof finishAuthentication>>["user"];
  try {
    // No user given: the credential's user handle names its owner, who must be allowed to sign
    // in now (finishAuthentication refuses a disabled or expired account, a disabled key).
    const result = await finishAuthentication(s.ctx, {
      tenant: s.tenant,
      ceremonyId,
      response: postedCredential(body),
      requestId: s.request.id,
      sourceIp: s.request.ip,
    });
    user = result.user;
    first = result.userVerified ? { amr: ["hwk", "user", "otp"], bothFactors: true } : { amr: ["hwk"] };
  } catch (error) {
    if (!TesseraError.is(error) || error.code === ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass)
      throw error;
    return failed(error.code);
  }
  s.request.auditSubject = `user:${user.username}`;
  return afterPassword(s, user, s.row, first);
}

/** The enrolment page's other way: a security key or passkey, where the app accepts one. */
export function enrolKeyForm(s: SignIn): SafeHtml {
  if (factorNamed(s.app, webauthnFactor.type) === undefined) return html``;
  allowWebauthnScript(s);
  return html`<p>${s.t("enrolKeyIntro")}</p>
${form(s, "enrol", html`<input type="hidden" name="factor" value="webauthn">${ceremonyFields(s.t)}`, "enrolKeyButton")}
${scriptTag}`;
}

/**
 * Registers the key posted at the enrolment step (finishRegistration spends the ceremony and
 * holds it to this user). Like the first code of a new app token, a new key proves the second
 * factor: the person holds it now, after the password (amr otp, hwk). Throws the precise TesseraError.
 */
export async function registerKeyAtEnrolment(
  s: SignIn,
  body: Record<string, unknown>,
): Promise<readonly string[]> {
  if (factorNamed(s.app, webauthnFactor.type) === undefined)
    throw bypass("the app does not accept security keys");
  const ceremonyId = postedCeremony(s, body);
  const user = await findUserById(s.ctx, s.tenant.id, s.row.user_id ?? "");
  const key = await finishRegistration(s.ctx, {
    tenant: s.tenant,
    ceremonyId,
    response: postedCredential(body),
    user,
  });
  // The page's own request event names the user and the step only: the new key is recorded by
  // its serial, as POST /v1/webauthn/registration/verify records it.
  await s.ctx.audit.append({
    at: s.ctx.clock.now(),
    tenantId: s.tenant.id,
    actor: `user:${user.id}`,
    subject: `authenticator:${key.serial}`,
    sourceIp: s.request.ip,
    operation: `webauthn key registered by ${user.username} at the sign-in's enrolment step`,
    resultCode: ApiReturnCode.Success,
    durationMs: null,
    requestId: s.request.id,
  });
  return [...amrOf(s.row), "otp", "hwk"];
}
