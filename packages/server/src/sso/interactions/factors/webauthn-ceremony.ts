import { html, type SafeHtml } from "../../../pages/html.ts";
import { setPageLayout } from "../../../pages/page-routes.ts";
import type { Locale } from "../../pages/locale.ts";
import { ssoPageLayout } from "../../pages/sso-page-layout.ts";
import type { Translator } from "../../pages/translate.ts";
import { bypass, type SignIn } from "../sign-in-context.ts";
import { bindToSignIn, boundToSignIn } from "./factor-binding.ts";

/** Where the WebAuthn pages' script lives (interaction-routes.ts serves webauthn.js). */
export const webauthnScript = "/oidc/assets/webauthn.js";

/**
 * A page with a WebAuthn form may run exactly one script, ours (a source with a path matches that
 * file only, CSP3; at the public URL's origin, where people reach the pages and the relying
 * party's origin is), and fetch only from our origin (its ceremony options); every other SSO
 * page keeps `script-src 'none'` (default-src).
 */
export function allowWebauthnScript(s: SignIn): void {
  const layout = ssoPageLayout(s.locale as Locale, s.app.redirectUris);
  const script = new URL(webauthnScript, new URL(s.ctx.publicUrl).origin).href;
  const csp = `${layout.headers["content-security-policy"]}; script-src ${script}; connect-src 'self'`;
  setPageLayout(s.request, { ...layout, headers: { ...layout.headers, "content-security-policy": csp } });
}

/**
 * The fields a WebAuthn form posts, filled in by the script: the ceremony id, its binding to this
 * sign-in and step, and the browser's answer (JSON, base64url fields as @simplewebauthn's types).
 * The status line says so when the authenticator did not answer (the person cancelled).
 */
export const ceremonyFields = (t: Translator): SafeHtml =>
  html`<input type="hidden" name="ceremony" value="">
<input type="hidden" name="binding" value="">
<input type="hidden" name="credential" value="">
<p role="status" data-failed="${t("webauthnNoAnswer")}"></p>`;

export const scriptTag = html`<script type="module" src="${webauthnScript}"></script>`;

/**
 * A ceremony is bound to the sign-in and the step it was started for (factor-binding.ts): one
 * started for another sign-in, even the same user's, through the API, or for the first page and
 * posted at the factor step, is refused as a bypass before it is spent.
 */
const purpose = (step: string) => `webauthn-${step}`;

export const bindCeremony = (s: SignIn, ceremonyId: string): string =>
  bindToSignIn(s, purpose(s.row.step), ceremonyId);

export function postedCeremony(s: SignIn, body: Record<string, unknown>): string {
  if (!boundToSignIn(s, purpose(s.row.step), body.ceremony, body.binding))
    throw bypass("a WebAuthn ceremony this sign-in step did not start");
  return body.ceremony as string;
}

/**
 * The browser's answer as posted: JSON, or (a crafted post, a browser without JavaScript) as it
 * came, for the ceremony's own checks to refuse with their precise code.
 */
export function postedCredential(body: Record<string, unknown>): unknown {
  if (typeof body.credential !== "string") return body.credential;
  try {
    return JSON.parse(body.credential);
  } catch {
    return body.credential;
  }
}
