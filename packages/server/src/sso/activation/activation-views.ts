import { html, type SafeHtml } from "../../pages/html.ts";
import { passwordField } from "../../users/user-view.ts";
import type { Translator } from "../pages/translate.ts";

/**
 * The activation page's forms. Each posts to the page itself with the activation id and the step
 * it belongs to as hidden fields (no cookie: only the holder of the id can post, so there is no
 * session for a cross-site request to ride on). Every input has its label; the layout gives the
 * one h1.
 */
export interface FormContext {
  readonly t: Translator;
  readonly action: string;
  readonly id: string;
  readonly uiLocales: string | undefined;
}

const alert = (problem: string | undefined) =>
  problem === undefined ? html`` : html`<p role="alert">${problem}</p>`;

const hidden = (f: FormContext, step: string) =>
  html`<input type="hidden" name="id" value="${f.id}">
<input type="hidden" name="step" value="${step}">
${f.uiLocales === undefined ? html`` : html`<input type="hidden" name="ui_locales" value="${f.uiLocales}">`}`;

export const passwordForm = (f: FormContext, username: string, problem?: string): SafeHtml =>
  html`${alert(problem)}<p>${f.t("activationPasswordIntro", { username })}</p>
<form method="post" action="${f.action}">
${hidden(f, "password")}
<label for="password">${f.t("activationNewPassword")}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${passwordField.minLength}" maxlength="${passwordField.maxLength}">
<label for="confirm">${f.t("activationConfirmPassword")}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="${passwordField.minLength}" maxlength="${passwordField.maxLength}">
<button type="submit">${f.t("continue")}</button>
</form>`;

export const totpForm = (
  f: FormContext,
  enrolment: { qr: string; secret: string },
  problem?: string,
): SafeHtml =>
  html`${alert(problem)}<p>${f.t("activationTokenIntro")}</p>
<img alt="${f.t("activationQrAlt")}" src="${enrolment.qr}" width="240" height="240">
<p>${f.t("activationKey")}: <code id="secret">${enrolment.secret}</code></p>
<form method="post" action="${f.action}">
${hidden(f, "totp")}
<label for="otp">${f.t("activationCode")}</label>
<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" required maxlength="10">
<button type="submit">${f.t("continue")}</button>
</form>`;

export const appsList = (t: Translator, apps: readonly { clientId: string; name: string }[]): SafeHtml =>
  apps.length === 0
    ? html`<p>${t("activationNoApps")}</p>`
    : html`<p>${t("activationAppsIntro")}</p>
<ul>${apps.map((a) => html`<li>${a.name}</li>`)}</ul>`;
