import { html, type SafeHtml } from "../../pages/html.ts";
import type { Translator } from "../pages/translate.ts";
import type { PatView } from "./pat-view.ts";

export interface TokensPage {
  readonly t: Translator;
  /** The page's own path (forms post to it and below it). */
  readonly action: string;
  readonly csrf: string;
  readonly pats: readonly PatView[];
  /** Apps that take PATs: [clientId, name]. */
  readonly apps: readonly (readonly [string, string])[];
  /** Every app of the tenant by client id: the table names a token's app, not its client id. */
  readonly appNames: ReadonlyMap<string, string>;
  readonly maxDays: number;
  /** Set when apps requiring a second factor were left out: where to sign in with one. */
  readonly secondFactorSignIn?: string;
  /** A token just created: shown this once. */
  readonly created?: string;
  /** What was wrong with the create form, already in the page's language. */
  readonly problem?: string;
  readonly entered?: { readonly clientId?: string; readonly name?: string; readonly expiresInDays?: string };
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const stateKey = {
  live: "tokensStateLive",
  expired: "tokensStateExpired",
  revoked: "tokensStateRevoked",
} as const;

/** The list with a revoke button per live token, then the create form. No script: plain forms. */
export function tokensPageBody(page: TokensPage): SafeHtml {
  const { t } = page;
  const csrf = html`<input type="hidden" name="csrf" value="${page.csrf}">`;
  const created =
    page.created === undefined
      ? html``
      : html`<p role="status">${t("tokensCreated")}</p>
<p><code id="new-token">${page.created}</code></p>`;
  const rows = page.pats.map(
    (p) =>
      html`<tr><td>${p.name}</td><td>${page.appNames.get(p.clientId) ?? p.clientId}</td><td>${t(stateKey[p.state])}</td><td>${day(p.expiresAt)}</td><td>${p.lastUsedAt === null ? t("tokensNever") : day(p.lastUsedAt)}</td><td>${
        p.state === "live"
          ? html`<form method="post" action="${page.action}/${p.id}/revoke">${csrf}<button type="submit">${t("tokensRevoke", { name: p.name })}</button></form>`
          : html``
      }</td></tr>`,
  );
  const list =
    page.pats.length === 0
      ? html`<p>${t("tokensNone")}</p>`
      : html`<table>
<thead><tr><th scope="col">${t("tokensName")}</th><th scope="col">${t("tokensApp")}</th><th scope="col">${t("tokensState")}</th><th scope="col">${t("tokensExpires")}</th><th scope="col">${t("tokensLastUsed")}</th><th scope="col"></th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
  return html`<p>${t("tokensIntro")}</p>
${created}
${list}
<h2>${t("tokensCreateTitle")}</h2>
${page.apps.length === 0 ? html`<p>${t("tokensNoApps")}</p>` : createForm(page, csrf)}
${
  page.secondFactorSignIn === undefined
    ? html``
    : html`<p>${t("tokensSecondFactorApps")} <a href="${page.secondFactorSignIn}">${t("tokensSecondFactorSignIn")}</a></p>`
}`;
}

function createForm(page: TokensPage, csrf: SafeHtml): SafeHtml {
  const { t, entered = {} } = page;
  const options = page.apps.map(
    ([clientId, name]) =>
      html`<option value="${clientId}"${entered.clientId === clientId ? html` selected` : html``}>${name}</option>`,
  );
  const problem = page.problem === undefined ? html`` : html`<p role="alert">${page.problem}</p>`;
  return html`${problem}<form method="post" action="${page.action}">
${csrf}
<label for="clientId">${t("tokensApp")}</label>
<select id="clientId" name="clientId" required>${options}</select>
<label for="name">${t("tokensName")}</label>
<input id="name" name="name" type="text" required maxlength="100" value="${entered.name ?? ""}">
<label for="expiresInDays">${t("tokensDays", { max: String(page.maxDays) })}</label>
<input id="expiresInDays" name="expiresInDays" type="number" inputmode="numeric" required min="1" max="${page.maxDays}" value="${entered.expiresInDays ?? "30"}">
<button type="submit">${t("tokensCreate")}</button>
</form>`;
}
