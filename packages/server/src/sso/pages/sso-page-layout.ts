import type { FastifyRequest } from "fastify";
import { html, type SafeHtml } from "../../pages/html.ts";
import type { PageLayout } from "../../pages/page-routes.ts";
import { type Locale, pickLocale } from "./locale.ts";
import { publicMessageIn } from "./public-message.ts";
import { ssoPageHeaders } from "./sso-headers.ts";
import { ssoDocument } from "./sso-layout.ts";
import { translatorFor } from "./translate.ts";

/**
 * The SSO pages as a page layout for Fastify page routes (pages/page-routes.ts): every sendPage
 * and the error page of a route come out in the SSO layout and language. `formTargets` are the
 * app's redirect URIs, where the page's form may end up (sso-headers.ts).
 */
export function ssoPageLayout(locale: Locale, formTargets: readonly string[] = []): PageLayout {
  return {
    headers: ssoPageHeaders(formTargets),
    document: (title, body) => ssoDocument({ locale, title, body }),
    errorPage: (code, requestId) => ({
      title: translatorFor(locale)("errorTitle"),
      body: ssoErrorBody(locale, code, requestId),
    }),
  };
}

/** Until a handler knows more (the app's ui_locales), the browser's language. */
export const ssoLayoutOf = (request: FastifyRequest): PageLayout =>
  ssoPageLayout(pickLocale(undefined, request.headers["accept-language"]));

/**
 * What an SSO error page says: the code's generic public message and the request id, the
 * reference a person quotes to an administrator, who finds the detail in the log.
 */
export function ssoErrorBody(locale: Locale, code: number, requestId: string): SafeHtml {
  const t = translatorFor(locale);
  return html`<p>${publicMessageIn(locale, code)}</p>
<p id="request-id">${t("requestId", { id: requestId })}</p>
<p class="muted">${t("errorHint")}</p>`;
}
