import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { success } from "../../app/envelope.ts";
import { okResponse } from "../../app/route-schemas.ts";
import { qrDataUrl } from "../../authenticators/authenticator-routes.ts";
import { html } from "../../pages/html.ts";
import { sendPage, sendRedirect, setPageLayout, usePages, wantsJson } from "../../pages/page-routes.ts";
import { passwordField } from "../../users/user-view.ts";
import { pickLocale } from "../pages/locale.ts";
import { ssoLayoutOf, ssoPageLayout } from "../pages/sso-page-layout.ts";
import { type Translator, translatorFor } from "../pages/translate.ts";
import { issuerPath } from "../provider/provider-configuration.ts";
import { enrolment, takePasswordStep, takeTotpStep } from "./activation-steps.ts";
import { appsList, type FormContext, passwordForm, totpForm } from "./activation-views.ts";
import { type OpenActivation, openActivationOf } from "./open-activation.ts";

type Fields = { id?: string; ui_locales?: string };
type Form = Fields & { step?: string; password?: string; confirm?: string; otp?: string };
type Params = { tenant: string };

const params = {
  type: "object",
  properties: { tenant: { type: "string", maxLength: 64 } },
  required: ["tenant"],
} as const;
/** Every field in every answer (null where the step has none), so a client reads one shape. */
const stepAnswer = {
  step: { type: "string", enum: ["password", "totp", "done"] },
  secret: { type: ["string", "null"], description: "totp step: the authenticator app's key (base32)" },
  provisioningUri: { type: ["string", "null"], description: "totp step: the otpauth URI the QR code shows" },
  apps: {
    type: ["array", "null"],
    description: "done: the apps assigned to the user",
    items: { type: "object", properties: { clientId: { type: "string" }, name: { type: "string" } } },
  },
} as const;
const none = { secret: null, provisioningUri: null, apps: null };
const fields = {
  id: { type: "string", maxLength: 200 },
  ui_locales: { type: "string", maxLength: 200 },
} as const;

/** Codes a wrong TOTP entry gets: the form is shown again with a hint, the code goes to the trail. */
const retryableCodes: readonly number[] = [
  ApiReturnCode.OTPInvalid,
  ApiReturnCode.BogusOTP,
  ApiReturnCode.OTPAlreadyUsed,
  ApiReturnCode.TimeDriftInvalid,
];

/**
 * The account-activation page the invitation e-mail links to: /oidc/<tenant>/activate?id=…, a
 * route more specific than the provider's catch-all. GET shows the current step (spending
 * nothing: mail scanners open links); POST takes one step. An app that asks for JSON gets the
 * envelope instead of the page (pages/page-routes.ts).
 */
export const activationPageRoutes: FastifyPluginAsync = async (app) => {
  // The SSO layout in the browser's language; formContext switches to the link's ui_locales.
  usePages(app, ssoLayoutOf);

  app.get<{ Params: Params; Querystring: Fields }>(
    "/oidc/:tenant/activate",
    {
      schema: {
        params,
        querystring: { type: "object", properties: fields },
        response: { 200: okResponse(stepAnswer) },
      },
    },
    async (request, reply) => {
      const open = await openActivationOf(request, request.query.id, "querystring.id");
      const f = formContext(request, open, request.query);
      return showStep(request, reply, open, f);
    },
  );

  app.post<{ Params: Params; Body: Form | undefined }>(
    "/oidc/:tenant/activate",
    {
      schema: {
        params,
        body: {
          type: "object",
          properties: {
            ...fields,
            step: { type: "string", maxLength: 20 },
            password: { type: "string", maxLength: passwordField.maxLength },
            confirm: { type: "string", maxLength: passwordField.maxLength },
            otp: { type: "string", maxLength: 20 },
          },
          // The form is ours: anything else was not typed by the person, so it is refused.
          additionalProperties: false,
        },
        response: { 200: okResponse(stepAnswer) },
      },
    },
    async (request, reply) => {
      const form = request.body ?? {};
      const open = await openActivationOf(request, form.id, "body.id");
      const f = formContext(request, open, form);
      const ctx = request.server.ctx;
      if (form.step === "password" && open.row.state === "password") {
        const { password = "", confirm = "" } = form;
        const problem =
          password !== confirm
            ? f.t("activationPasswordMismatch")
            : password.length < passwordField.minLength
              ? f.t("activationPasswordTooShort", { min: String(passwordField.minLength) })
              : undefined;
        if (problem !== undefined) {
          const field = password !== confirm ? "body.confirm" : "body.password";
          if (wantsJson(request))
            throw new TesseraError(TesseraApiCode.MalformedRequest, { message: problem, field });
          const title = f.t("activationTitle");
          const body = passwordForm(f, open.user.username, problem);
          return sendPage(reply, 400, TesseraApiCode.MalformedRequest, title, body);
        }
        await takePasswordStep(ctx, open, password);
        if (wantsJson(request))
          return showStep(request, reply, { ...open, row: { ...open.row, state: "totp" } }, f);
        // Post/redirect/get: the browser GETs the token step, so a reload re-posts no password.
        const next = new URLSearchParams({
          id: f.id,
          ...(f.uiLocales === undefined ? {} : { ui_locales: f.uiLocales }),
        });
        return sendRedirect(reply, ApiReturnCode.Success, `${f.action}?${next.toString()}`);
      }
      if (form.step === "totp" && open.row.state === "totp") {
        let apps: Awaited<ReturnType<typeof takeTotpStep>>;
        try {
          apps = await takeTotpStep(ctx, open, form.otp ?? "");
        } catch (error) {
          if (wantsJson(request) || !TesseraError.is(error) || !retryableCodes.includes(error.code))
            throw error;
          return showStep(request, reply, open, f, { code: error.code, status: error.httpStatus });
        }
        const code = ApiReturnCode.SSOAccountProvisionApps;
        if (wantsJson(request)) return success({ ...none, step: "done", apps }, code);
        return sendPage(reply, 200, code, f.t("activationDoneTitle"), appsList(f.t, apps));
      }
      // A step posted out of order (a token code before the password, a password again): refused,
      // and nothing is changed.
      throw new TesseraError(TesseraApiCode.MalformedRequest, {
        message: `this activation is at the ${open.row.state} step`,
        field: "body.step",
      });
    },
  );
};

function formContext(request: FastifyRequest, open: OpenActivation, given: Fields): FormContext {
  const locale = pickLocale(given.ui_locales, request.headers["accept-language"]);
  setPageLayout(request, ssoPageLayout(locale));
  const t: Translator = translatorFor(locale);
  return {
    t,
    action: `${issuerPath(open.tenant.id)}/activate`,
    id: given.id ?? "",
    uiLocales: given.ui_locales,
  };
}

/** The page (or envelope) of the activation's current step; `problem` re-shows the code form. */
async function showStep(
  request: FastifyRequest,
  reply: FastifyReply,
  open: OpenActivation,
  f: FormContext,
  problem?: { code: number; status: number },
) {
  const json = wantsJson(request);
  if (open.row.state === "password") {
    if (json) return success({ ...none, step: "password" });
    return sendPage(
      reply,
      200,
      ApiReturnCode.Success,
      f.t("activationTitle"),
      passwordForm(f, open.user.username),
    );
  }
  const enrolled = await enrolment(request.server.ctx, open);
  if (json) return success({ ...none, step: "totp", ...enrolled });
  const qr = await qrDataUrl(enrolled.provisioningUri);
  const hint = problem === undefined ? undefined : f.t("activationCodeRejected");
  return sendPage(
    reply,
    problem?.status ?? 200,
    problem?.code ?? ApiReturnCode.Success,
    f.t("activationTokenTitle"),
    html`${totpForm(f, { qr, secret: enrolled.secret }, hint)}`,
  );
}
