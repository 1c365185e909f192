import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import type { Client, ErrorOut, KoaContextWithOIDC, UnknownObject } from "oidc-provider";
import { html, type SafeHtml } from "../../pages/html.ts";
import { actions, button, field, formError, hiddenFields } from "./form-fields.ts";
import { type Locale, pickLocale } from "./locale.ts";
import { parseProviderForm } from "./provider-form.ts";
import { publicMessageIn } from "./public-message.ts";
import { ssoPageHeaders } from "./sso-headers.ts";
import { ssoDocument } from "./sso-layout.ts";
import { ssoErrorBody } from "./sso-page-layout.ts";
import { type Translator, translatorFor } from "./translate.ts";

/**
 * oidc-provider's own pages (device flow user-code input, confirmation and success; RP-initiated
 * logout and its success page; its error page), in Tessera's layout and languages. oidc-provider
 * writes these into its Koa response, outside Fastify's page plugin, so the strict page headers
 * are set on ctx here.
 */
type Ctx = KoaContextWithOIDC;

const paramOf = (params: UnknownObject | undefined, name: string): string | undefined => {
  const value = params?.[name];
  return typeof value === "string" ? value : undefined;
};

/**
 * The page language: the request's `ui_locales` (logout takes it), else the one the device
 * authorization request carried, else Accept-Language.
 */
export function localeOf(ctx: Ctx): Locale {
  const uiLocales =
    paramOf(ctx.oidc?.params as UnknownObject | undefined, "ui_locales") ??
    paramOf(ctx.oidc?.entities.DeviceCode?.params, "ui_locales");
  return pickLocale(uiLocales, ctx.get("accept-language") || undefined);
}

function render(ctx: Ctx, locale: Locale, title: string, body: SafeHtml, formTargets: string[] = []): void {
  ctx.set(ssoPageHeaders(formTargets));
  ctx.type = "html";
  ctx.body = ssoDocument({ locale, title, body });
}

const appName = (client: Client | undefined): string | undefined => client?.clientName ?? client?.clientId;

function page(ctx: Ctx): { locale: Locale; t: Translator } {
  const locale = localeOf(ctx);
  return { locale, t: translatorFor(locale) };
}

/** The user-code form; also shown again, with the error, when a code was wrong. */
export async function userCodeInputSource(
  ctx: Ctx,
  form: string,
  _out?: ErrorOut,
  err?: Error,
): Promise<void> {
  const { locale, t } = page(ctx);
  const { action, hidden } = parseProviderForm(form);
  const wrongCode = err !== undefined && ("userCode" in err || err.name === "NoCodeError");
  const other =
    err === undefined || wrongCode
      ? undefined
      : err.name === "AbortedError"
        ? t("deviceAborted")
        : publicMessageIn(locale, TesseraApiCode.MalformedRequest);
  render(
    ctx,
    locale,
    t("deviceTitle"),
    html`${formError(other)}<p>${t("deviceEnterCode")}</p>
<form method="post" action="${action}">
${hiddenFields(hidden)}
${field({ name: "user_code", label: t("deviceCode"), autocomplete: "one-time-code", autofocus: true, ...(wrongCode ? { error: t("deviceCodeWrong") } : {}) })}
${actions(button({ label: t("continue") }))}
</form>`,
  );
}

/** Shows which app asks and the code, so the person can compare it with the device's. */
export async function userCodeConfirmSource(
  ctx: Ctx,
  form: string,
  client: Client,
  _deviceInfo: UnknownObject,
  userCode: string,
): Promise<void> {
  const { locale, t } = page(ctx);
  const { action, hidden } = parseProviderForm(form);
  const { confirm: _confirm, ...withoutConfirm } = hidden;
  render(
    ctx,
    locale,
    t("deviceConfirmTitle"),
    html`<p>${t("deviceConfirmText", { app: appName(client) ?? "" })}</p>
<p class="code" id="user-code">${userCode}</p>
<p class="muted">${t("deviceConfirmWarning")}</p>
<form method="post" action="${action}">
${hiddenFields(withoutConfirm)}
${actions(button({ label: t("deviceAllow"), name: "confirm", value: "yes" }), button({ label: t("cancel"), name: "abort", value: "yes", secondary: true }))}
</form>`,
  );
}

export async function successSource(ctx: Ctx): Promise<void> {
  const { locale, t } = page(ctx);
  const app = appName(ctx.oidc.client);
  const text = app === undefined ? t("deviceSuccessText") : t("deviceSuccessTextApp", { app });
  render(ctx, locale, t("deviceSuccessTitle"), html`<p>${text}</p>`);
}

/** "Sign out?" with a button for each answer; only "Sign out" posts `logout=yes`. */
export async function logoutSource(ctx: Ctx, form: string): Promise<void> {
  const { locale, t } = page(ctx);
  const { action, hidden } = parseProviderForm(form);
  // Signing out ends at the app's post_logout_redirect_uri (checked against the app's list).
  const returnTo = paramOf(ctx.oidc.params as UnknownObject | undefined, "post_logout_redirect_uri");
  render(
    ctx,
    locale,
    t("signOutTitle"),
    html`<p>${t("signOutQuestion")}</p>
<form method="post" action="${action}">
${hiddenFields(hidden)}
${actions(button({ label: t("signOutYes"), name: "logout", value: "yes" }), button({ label: t("signOutNo"), secondary: true }))}
</form>`,
    returnTo === undefined ? [] : [returnTo],
  );
}

export async function postLogoutSuccessSource(ctx: Ctx): Promise<void> {
  const { locale, t } = page(ctx);
  const app = appName(ctx.oidc.client);
  const text = app === undefined ? t("signedOutText") : t("signedOutTextApp", { app });
  render(ctx, locale, t("signedOutTitle"), html`<p>${text}</p>`);
}

/**
 * The provider's error page: the generic public message and the request id. The provider's own
 * error text is not shown: it can name parameters and clients, which is for the app's developer.
 */
export async function renderError(ctx: Ctx, _out: ErrorOut, _error: Error): Promise<void> {
  const { locale, t } = page(ctx);
  const code = ctx.status >= 500 ? ApiReturnCode.SSOInternalError : TesseraApiCode.MalformedRequest;
  const requestId = String(ctx.res.getHeader("x-request-id") ?? "");
  render(ctx, locale, t("errorTitle"), ssoErrorBody(locale, code, requestId));
}

/** The `features` entries and `renderError` for provider-configuration.ts. */
export const providerPages = {
  deviceFlow: { userCodeInputSource, userCodeConfirmSource, successSource },
  rpInitiatedLogout: { logoutSource, postLogoutSuccessSource },
  renderError,
};
