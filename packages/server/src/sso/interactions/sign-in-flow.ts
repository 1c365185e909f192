import { ApiReturnCode, TesseraError } from "@tessera/codes";
import { findForUser } from "../../authenticators/authenticator-store.ts";
import { html } from "../../pages/html.ts";
import { sendPage, sendRedirect } from "../../pages/page-routes.ts";
import { decideAccess } from "../../policies/access-decision.ts";
import type { UserRow } from "../../users/user-store.ts";
import type { MessageKey } from "../pages/messages/en.ts";
import { freshEnrolmentToken } from "./enrolment-token.ts";
import { factorsFor } from "./factors/registry.ts";
import { keyActionAllowed, keyActionAsked } from "./key-action.ts";
import { bypass, type SignIn } from "./sign-in-context.ts";
import { amrOf, moveSignIn, type SignInRow, type StepChange } from "./sign-in-store.ts";

/**
 * The transitions of sign-in-machine.md. Each handler proves its step, then calls one of these to
 * move on: a compare-and-set from the step it proved (a lost race is a replay: refused as a
 * bypass), then the next page, the app (done), or a refusal page.
 */

/** What the first page proved: the password (`pwd`), or a passkey (passkey-sign-in.ts). */
export interface FirstFactor {
  readonly amr: readonly string[];
  /** The passkey verified the person on the key (UV): both factors at once, no factor step. */
  readonly bothFactors?: boolean;
}

/**
 * Where a user who proved their password (or a passkey) goes: the access policy's day, time and
 * address rules, then the second factor. The daily allowance is counted only when the sign-in is
 * complete (finish): someone who has only the password must not use up the user's sign-ins of the day.
 */
export async function afterPassword(
  s: SignIn,
  user: UserRow,
  row: SignInRow = s.row,
  first: FirstFactor = { amr: ["pwd"] },
): Promise<void> {
  const decision = await decideAccess(s.ctx, {
    tenantId: s.tenant.id,
    clientId: s.app.clientId,
    userId: user.id,
    address: s.request.ip,
    // The policy events then carry the id of the page request they were written for.
    requestId: s.request.id,
    only: "rules",
  });
  if (decision.denied !== undefined) {
    // The app gets access_denied and shows its own page, as after a consent denial; which rule
    // refused is only in the audit trail (the code recorded with this redirect).
    const returnTo = await endWithAccessDenied(s, row, "access was refused", { userId: user.id });
    return sendRedirect(s.reply, decision.denied, returnTo);
  }
  const { amr } = first;
  if (first.bothFactors === true) return afterSecondFactor(s, row, { userId: user.id, amr });
  const authenticators = await findForUser(s.ctx.database.db, user.id);
  const usable = factorsFor(s.app, amr).some((factor) => factor.usable(authenticators).length > 0);
  if (usable) return move(s, row, { step: "factor", userId: user.id, amr });
  const required = s.tenant.ssoSecondFactor === "required" || s.app.requireSecondFactor;
  if (!required) return afterSecondFactor(s, row, { userId: user.id, amr });
  if (!s.tenant.ssoSelfEnrolment)
    return refuse(s, row, ApiReturnCode.SystemTwoFactorNotSet, "noSecondFactor", { userId: user.id });
  // A token made for this sign-in, shown once as a QR code; it counts only once a code from it
  // is confirmed (enrol step), so an abandoned enrolment leaves nothing that signs in.
  const enrolId = await freshEnrolmentToken(s.ctx, s.tenant, user);
  return move(s, row, { step: "enrol", userId: user.id, amr, enrolId });
}

/**
 * After the second factor (or none where none is required): the app's action where it asked for
 * one (key-action.ts: only here, once every factor the tenant and app require is proved), then
 * consent for third-party apps, else done. An action the tenant or app no longer allows (changed
 * since the request) is skipped: nothing is added.
 */
export async function afterSecondFactor(
  s: SignIn,
  row: SignInRow,
  change: { userId?: string; amr: readonly string[] },
): Promise<void> {
  if (keyActionAsked(s) && keyActionAllowed(s.tenant, s.app))
    return move(s, row, { step: "register-key", ...change });
  return towardsApp(s, row, change);
}

/** Consent for third-party apps, else done (the grant and the code). */
export async function towardsApp(
  s: SignIn,
  row: SignInRow,
  change: { userId?: string; amr?: readonly string[] } = {},
): Promise<void> {
  if (!s.app.firstParty) return move(s, row, { step: "consent", ...change });
  const moved = await moveSignIn(s.ctx, row, { step: "done", ...change });
  if (moved === undefined) throw bypass("the step was already taken by another request");
  return finish(s, moved);
}

/** Moves to the next step and shows it (303 to the interaction page: reloading re-posts nothing). */
export async function move(s: SignIn, row: SignInRow, change: StepChange): Promise<void> {
  const moved = await moveSignIn(s.ctx, row, change);
  if (moved === undefined) throw bypass("the step was already taken by another request");
  await sendRedirect(s.reply, ApiReturnCode.Success, s.path);
}

/**
 * Ends the sign-in with a refusal page and a link back to the app, which then gets access_denied;
 * the precise code goes to the audit trail. A page rather than a straight redirect: what is
 * wrong (no second factor set up) is for the person to take to their administrator, and the
 * app could only say "access denied".
 */
export async function refuse(
  s: SignIn,
  row: SignInRow,
  code: number,
  message: MessageKey,
  change: { userId?: string } = {},
): Promise<void> {
  const returnTo = await endWithAccessDenied(s, row, "access was refused", change);
  await sendPage(
    s.reply,
    statusOf(code),
    code,
    s.t("errorTitle"),
    html`<p>${s.t(message)}</p>
<p><a href="${returnTo}">${s.t("backToApp", { app: s.app.name })}</a></p>`,
  );
}

/**
 * Moves the sign-in to `refused` (compare-and-set: a lost race is a replay) and gives
 * oidc-provider the access_denied result; returns the URL that sends the browser back to the app.
 */
async function endWithAccessDenied(
  s: SignIn,
  row: SignInRow,
  description: string,
  change: { userId?: string } = {},
): Promise<string> {
  const moved = await moveSignIn(s.ctx, row, { step: "refused", ...change });
  if (moved === undefined) throw bypass("the step was already taken by another request");
  await refuseDeviceCode(s, description);
  return s.provider.interactionResult(
    s.request.raw,
    s.reply.raw,
    { error: "access_denied", error_description: description },
    { mergeWithLastSubmission: false },
  );
}

/**
 * A device sign-in (RFC 8628) refused for good ends its device code at once, so the device's next
 * poll is access_denied. oidc-provider would do this only when the browser follows the link back
 * (the device flow's resume route), which a person reading the refusal page has no reason to do:
 * the device would then wait for the code to expire. Only refusals that come after the password
 * was proved get here (see endWithAccessDenied's callers); a wrong password, a wrong code or a
 * lockout stays on its page and leaves the device code pending.
 */
async function refuseDeviceCode(s: SignIn, description: string): Promise<void> {
  const jti = s.interaction.deviceCode;
  if (jti === undefined) return;
  const code = await s.provider.DeviceCode.find(jti, { ignoreExpiration: true });
  // Already approved or refused (a device code is ended once): nothing to change.
  if (code === undefined || code.accountId !== undefined || code.error !== undefined) return;
  code.error = "access_denied";
  code.errorDescription = description;
  await code.save();
}

export const statusOf = (code: number): number => new TesseraError(code).httpStatus;

/**
 * The sign-in is done (its row already moved to `done`): the login, with the methods proved, and
 * the grant of what the app asked for go to oidc-provider, and the browser goes back to it to
 * collect the code. The grant is made here for first-party apps (no consent asked) and after the
 * consent step for third-party ones.
 *
 * First the sign-in is counted against the daily allowances: only the request that moved the row
 * to `done` gets here (compare-and-set), so two concurrent correct posts count once, and the count
 * is one conditional statement, so a sign-in that loses the last one is refused (9064).
 */
export async function finish(s: SignIn, row: SignInRow): Promise<void> {
  const accountId = row.user_id;
  if (accountId === null) throw bypass("a sign-in without a user cannot finish");
  const counted = await decideAccess(s.ctx, {
    tenantId: s.tenant.id,
    clientId: s.app.clientId,
    userId: accountId,
    address: s.request.ip,
    requestId: s.request.id,
    only: "allowance",
  });
  if (counted.denied !== undefined) {
    const returnTo = await endWithAccessDenied(s, row, "access was refused");
    return sendRedirect(s.reply, counted.denied, returnTo);
  }
  const amr = amrOf(row);
  const { interaction, provider } = s;
  const existing =
    interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
  const grant =
    existing !== undefined && existing.accountId === accountId && existing.clientId === s.app.clientId
      ? existing
      : new provider.Grant({ accountId, clientId: s.app.clientId });
  const details = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  grant.addOIDCScope(details.missingOIDCScope ?? String(interaction.params.scope ?? "openid").split(" "));
  if (details.missingOIDCClaims !== undefined) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(" "));
  const grantId = await grant.save();
  // A sign-in that started from the provider session (oidc-provider asked for consent alone) adds
  // the grant only: the session's login, with its time and methods, stays what it was.
  const login =
    interaction.prompt.name === "consent" && interaction.session?.accountId === accountId
      ? {}
      : {
          login: { accountId, amr, acr: amr.includes("otp") ? "urn:tessera:acr:mfa" : "urn:tessera:acr:pwd" },
        };
  const returnTo = await provider.interactionResult(
    s.request.raw,
    s.reply.raw,
    { ...login, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
  await sendRedirect(s.reply, ApiReturnCode.Success, returnTo);
}

/** The user said no to a third-party app: the app gets access_denied. */
export async function denyConsent(s: SignIn, row: SignInRow): Promise<void> {
  const returnTo = await endWithAccessDenied(s, row, "the user did not allow access");
  await sendRedirect(s.reply, ApiReturnCode.Success, returnTo);
}
