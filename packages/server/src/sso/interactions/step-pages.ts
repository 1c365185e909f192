import { html, type SafeHtml } from "../../pages/html.ts";
import { passwordField } from "../../users/user-view.ts";
import { describedBy } from "../pages/form-fields.ts";
import type { MessageKey } from "../pages/messages/en.ts";
import type { FactorSignIn, SecondFactor } from "./factors/second-factor.ts";
import type { SignIn } from "./sign-in-context.ts";

/**
 * The sign-in steps' forms. Each posts to `<interaction>/<step>` with the CSRF token; a problem is
 * shown as one generic sentence (role=alert) whatever the precise code was.
 */
const problemId = "problem";

export const alert = (problem: string | undefined): SafeHtml =>
  problem === undefined ? html`` : html`<p role="alert" id="${problemId}">${problem}</p>`;

/** A form; with a `problem`, its inputs point at the alert (a screen reader reads it on focus). */
export const form = (
  s: SignIn,
  step: string,
  fields: SafeHtml,
  button: MessageKey = "continue",
  problem?: string,
): SafeHtml =>
  html`<form method="post" action="${s.path}/${step}">
<input type="hidden" name="csrf" value="${s.csrf}">
${problem === undefined ? fields : describedBy(fields, problemId)}
<button type="submit">${s.t(button)}</button>
</form>`;

/** `passkey`: the passkey button (factors/passkey-sign-in.ts), where passkeys are offered. */
export function passwordPage(s: SignIn, problem?: string, passkey?: SafeHtml): SafeHtml {
  return html`<p>${s.t("signInTo", { app: s.app.name })}</p>
${alert(problem)}
${form(
  s,
  "password",
  html`<label for="username">${s.t("username")}</label>
<input id="username" name="username" autocomplete="${passkey === undefined ? "username" : "username webauthn"}" required maxlength="254" autofocus>
<label for="password">${s.t("password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="${passwordField.maxLength}">`,
  "continue",
  problem,
)}
${passkey ?? html``}
<p><a href="${s.path}/forgot">${s.t("forgotPassword")}</a></p>`;
}

export function changePasswordPage(s: SignIn, problem?: string): SafeHtml {
  return html`<p>${s.t("passwordExpired")}</p>
${alert(problem)}
${form(
  s,
  "change-password",
  html`<label for="password">${s.t("newPassword")}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${passwordField.minLength}" maxlength="${passwordField.maxLength}" autofocus>
<label for="confirm">${s.t("confirmPassword")}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="${passwordField.minLength}" maxlength="${passwordField.maxLength}">`,
  "continue",
  problem,
)}`;
}

/**
 * The authorization request again with prompt=login: a new interaction at the password step, for
 * a person who is not the user this sign-in (or the browser's session) is about.
 */
export function startOverUrl(s: SignIn): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(s.interaction.params))
    if (typeof value === "string" && name !== "prompt") query.set(name, value);
  query.set("prompt", "login");
  return `/oidc/${s.tenant.id}/auth?${query.toString()}`;
}

/** Which app and which user a step is about, with the way out for someone else. */
const whoAndWhere = (s: SignIn, intro: MessageKey): SafeHtml => {
  const username = s.username ?? "";
  return html`<p>${s.t(intro, { app: s.app.name, username })}</p>
<p><a href="${startOverUrl(s)}">${s.t("notYouStartOver", { username })}</a></p>`;
};

export function factorPage(
  s: SignIn,
  factors: readonly { factor: SecondFactor; sign?: FactorSignIn }[],
  problem?: string,
): SafeHtml {
  return html`${whoAndWhere(s, "signingInAs")}
${alert(problem)}
${factors.map(({ factor, sign }) =>
  form(
    s,
    "factor",
    html`<input type="hidden" name="factor" value="${factor.type}">${factor.fields(s.t, sign)}`,
    factor.button ?? "continue",
    problem,
  ),
)}`;
}

/** `other`: another way to enrol (a security key, factors/passkey-sign-in.ts), or nothing. */
export function enrolPage(
  s: SignIn,
  qrCode: string,
  secret: string,
  problem?: string,
  other: SafeHtml = html``,
): SafeHtml {
  return html`<p>${s.t("enrolIntro")}</p>
<p><img src="${qrCode}" alt="${s.t("qrAlt")}" width="200" height="200"></p>
<p>${s.t("secretKey")}: <code>${secret}</code></p>
${alert(problem)}
${form(
  s,
  "enrol",
  html`<label for="otp">${s.t("codeFromApp")}</label>
<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required>`,
  "continue",
  problem,
)}
${other}`;
}

const scopeText: Record<string, MessageKey> = {
  openid: "scopeOpenid",
  profile: "scopeProfile",
  email: "scopeEmail",
  offline_access: "scopeOfflineAccess",
};

export function consentPage(s: SignIn, scopes: readonly string[]): SafeHtml {
  const items = scopes.map((scope) => {
    const key = scopeText[scope];
    return html`<li>${key === undefined ? scope : s.t(key)}</li>`;
  });
  return html`${whoAndWhere(s, "signedInAs")}
<p>${s.t("consentIntro", { app: s.app.name })}</p>
<ul>${items}</ul>
${form(s, "consent", html`<input type="hidden" name="decision" value="allow">`, "allow")}
${form(s, "consent", html`<input type="hidden" name="decision" value="deny">`, "deny")}`;
}

/**
 * A first-party app the provider session may enter after one click (a native app: RFC 8252 §8.6,
 * another program could have claimed its redirect), naming the user and the app.
 */
export function continuePage(s: SignIn): SafeHtml {
  return html`<form method="post" action="${s.path}/consent">
<input type="hidden" name="csrf" value="${s.csrf}">
<input type="hidden" name="decision" value="allow">
<button type="submit">${s.t("continueAs", { username: s.username ?? "", app: s.app.name })}</button>
</form>
<p><a href="${startOverUrl(s)}">${s.t("notYouStartOver", { username: s.username ?? "" })}</a></p>`;
}

export function forgotPage(s: SignIn, sent: boolean): SafeHtml {
  if (sent)
    return html`<p role="status">${s.t("forgotSent")}</p><p><a href="${s.path}">${s.t("backToSignIn")}</a></p>`;
  return html`<p>${s.t("forgotIntro")}</p>
${form(
  s,
  "forgot",
  html`<label for="username">${s.t("username")}</label>
<input id="username" name="username" autocomplete="username" required maxlength="254" autofocus>`,
  "sendLink",
)}
<p><a href="${s.path}">${s.t("backToSignIn")}</a></p>`;
}
