import { ApiReturnCode } from "@tessera/codes";
import type { AuthenticatorRow } from "../../../authenticators/authenticator-store.ts";
import { html, type SafeHtml } from "../../../pages/html.ts";
import { setPageLayout } from "../../../pages/page-routes.ts";
import { createSignInPush, signInPushState } from "../../../push/sign-in-push.ts";
import type { Locale } from "../../pages/locale.ts";
import { ssoPageLayout } from "../../pages/sso-page-layout.ts";
import { bypass, type SignIn } from "../sign-in-context.ts";
import { findUserById } from "../sign-in-user.ts";
import { form } from "../step-pages.ts";
import { bindToSignIn, boundToSignIn } from "./factor-binding.ts";
import { FactorPage, FactorProblem, type FactorSignIn, type SecondFactor } from "./second-factor.ts";

/** Where the waiting page's script lives (interaction-routes.ts serves push-wait.js). */
export const pushWaitScript = "/oidc/assets/push-wait.js";

/**
 * The waiting page may run exactly one script, ours, and fetch only from our origin (the status
 * of this interaction's push); every other SSO page keeps `script-src 'none'` (default-src).
 */
function allowWaitScript(s: SignIn): void {
  const layout = ssoPageLayout(s.locale as Locale, s.app.redirectUris);
  const csp = `${layout.headers["content-security-policy"]}; script-src 'self'; connect-src 'self'`;
  setPageLayout(s.request, { ...layout, headers: { ...layout.headers, "content-security-policy": csp } });
}

/** The push request as the page carries it: id and number, bound to this sign-in. */
const pushValue = (id: string, number: number) => `${id}.${number}`;

/**
 * The number to match, shown large, and the "continue" form that re-checks the request; the
 * script polls `<interaction>/push-status` and submits that form once the phone answered, and
 * without JavaScript the person presses it.
 */
function waitingPage(sign: FactorSignIn, id: string, number: number, problem?: string): SafeHtml {
  const { s } = sign;
  allowWaitScript(s);
  const value = pushValue(id, number);
  const binding = bindToSignIn(s, "push", value);
  const status = `${s.path}/push-status?push=${encodeURIComponent(value)}&binding=${encodeURIComponent(binding)}`;
  return html`<p>${s.t("pushNumberIntro")}</p>
<p id="number-to-match" style="font-size:3rem;font-weight:bold;text-align:center" aria-label="${String(number)}">${String(number)}</p>
<p role="status" id="push-status" data-status-url="${status}">${problem ?? s.t("pushWaiting")}</p>
${form(
  s,
  "factor",
  html`<input type="hidden" name="factor" value="push">
<input type="hidden" name="push" value="${value}">
<input type="hidden" name="binding" value="${binding}">`,
)}
<p><a href="${s.path}">${s.t("otherWay")}</a></p>
<script type="module" src="${pushWaitScript}"></script>`;
}

/** The posted request: its id and number, refused when not bound to this sign-in. */
export function postedPush(s: SignIn, body: Record<string, unknown>): { id: string; number: number } {
  if (!boundToSignIn(s, "push", body.push, body.binding))
    throw bypass("a push request this sign-in did not send");
  const value = body.push as string;
  const dot = value.lastIndexOf(".");
  return { id: value.slice(0, dot), number: Number(value.slice(dot + 1)) };
}

/** The state of this sign-in's push for the waiting page's script (a GET: it only reads). */
export async function pushStatus(s: SignIn, query: Record<string, unknown>): Promise<string> {
  const { id } = postedPush(s, query);
  const user = await findUserById(s.ctx, s.tenant.id, s.row.user_id ?? "");
  return signInPushState(s.ctx, { tenant: s.tenant, user, id });
}

/**
 * Push approval with number matching (E's createSignInPush / signInPushState): the request is
 * made by a POST (never a GET), answered on the phone, and proved here by reading its state for
 * this tenant and user; the request must be one this sign-in sent. RFC 8176 `swk` (a key held
 * by the app signs the answer) and `user` (the person confirmed on the device), with `otp`.
 */
export const pushFactor: SecondFactor = {
  type: "push",
  amr: ["otp", "swk", "user"],
  usable: (rows: readonly AuthenticatorRow[]) =>
    rows.filter((row) => row.type === "push" && row.enabled === 1 && row.activated === 1),
  button: "pushSend",
  startFailed: "pushRefused",
  fields: () => html`<input type="hidden" name="action" value="send">`,
  async start(sign) {
    const { s } = sign;
    const push = await createSignInPush(s.ctx, {
      tenant: s.tenant,
      user: sign.user,
      context: { app: s.app.name, sourceIp: s.request.ip },
      requestId: s.request.id,
    });
    return new FactorPage(waitingPage(sign, push.id, push.numberToMatch), ApiReturnCode.Success);
  },
  async verify(ctx, tenant, _rows, body, sign) {
    if (sign === undefined) throw bypass("a push answer without its sign-in");
    const { id, number } = postedPush(sign.s, body);
    const state = await signInPushState(ctx, { tenant, user: sign.user, id });
    if (state === "approved") return;
    if (state === "pending") throw new FactorPage(waitingPage(sign, id, number), ApiReturnCode.Success);
    // Rejected or expired: the choice page says so and offers a new request.
    if (state === "rejected")
      throw new FactorProblem("pushRejected", ApiReturnCode.PartnerUserLoginFailedInvalidOTP);
    throw new FactorProblem("pushExpired", ApiReturnCode.SendOTPExpired);
  },
};
