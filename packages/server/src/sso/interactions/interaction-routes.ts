import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { html } from "../../pages/html.ts";
import { sendPage, usePages } from "../../pages/page-routes.ts";
import { pickLocale } from "../pages/locale.ts";
import { ssoLayoutOf } from "../pages/sso-page-layout.ts";
import { translatorFor } from "../pages/translate.ts";
import { postChangePassword, showChangePassword } from "./change-password-step.ts";
import { postConsent, showConsent } from "./consent-step.ts";
import { csrfTokenValid } from "./csrf.ts";
import { postPasskey, sendPasswordPage, webauthnOptions } from "./factors/passkey-sign-in.ts";
import { pushStatus } from "./factors/push.ts";
import { pushWaitSource } from "./factors/push-wait-script.ts";
import { webauthnSource } from "./factors/webauthn-script.ts";
import { postForgot, showForgot } from "./forgot-password.ts";
import { postPassword } from "./password-step.ts";
import { postRegisterKey, showRegisterKey } from "./register-key-step.ts";
import { postEnrol, postFactor, showEnrol, showFactor } from "./second-factor-step.ts";
import { bypass, type InteractionParams, openSignIn, type SignIn, StaleSignIn } from "./sign-in-context.ts";
import { statusOf } from "./sign-in-flow.ts";

/**
 * The sign-in pages oidc-provider sends the browser to (`interactions.url`): GET shows the step the
 * stored sign-in is at, each step's form posts to `<interaction>/<step>`. These routes are more
 * specific than the provider's `/oidc/:tenant/*` and win over it. See sign-in-machine.md.
 */
const id = { type: "string", minLength: 1, maxLength: 64 } as const;
const params = {
  type: "object",
  properties: { tenant: id, uid: id, step: { type: "string", maxLength: 32 } },
  required: ["tenant", "uid"],
} as const;
const field = { type: "string", maxLength: 1024 } as const;
const body = {
  type: "object",
  properties: {
    csrf: { type: "string", maxLength: 64 },
    username: { type: "string", maxLength: 300 },
    password: field,
    confirm: field,
    otp: { type: "string", maxLength: 16 },
    factor: { type: "string", maxLength: 32 },
    decision: { type: "string", maxLength: 16 },
    action: { type: "string", maxLength: 16 },
    serial: { type: "string", maxLength: 64 },
    challenge: { type: "string", maxLength: 128 },
    binding: { type: "string", maxLength: 64 },
    push: { type: "string", maxLength: 128 },
    // WebAuthn (factors/webauthn-ceremony.ts): a ceremony id, its binding, the browser's answer.
    ceremony: { type: "string", maxLength: 64 },
    credential: { type: "string", maxLength: 32_768 },
  },
  // The forms are ours: anything else was not typed by a person.
  additionalProperties: false,
} as const;

const pushStatusQuery = {
  type: "object",
  properties: { push: { type: "string", maxLength: 128 }, binding: { type: "string", maxLength: 64 } },
  required: ["push", "binding"],
  additionalProperties: false,
} as const;

type Form = Record<string, unknown>;
type StepRequest = FastifyRequest<{ Params: InteractionParams & { step?: string }; Body: Form }>;

const shows: Record<string, (s: SignIn) => unknown> = {
  password: (s) => sendPasswordPage(s, 200, ApiReturnCode.Success),
  "change-password": (s) => showChangePassword(s),
  factor: (s) => showFactor(s),
  enrol: (s) => showEnrol(s),
  "register-key": (s) => showRegisterKey(s),
  consent: (s) => showConsent(s),
};

const posts: Record<string, (s: SignIn, form: Form) => unknown> = {
  password: postPassword,
  "change-password": postChangePassword,
  factor: postFactor,
  enrol: postEnrol,
  "register-key": postRegisterKey,
  consent: postConsent,
};

/**
 * A bypass attempt (9051) ends on one localised page; the precise reason is in the log, the code in
 * the audit trail. An ended sign-in shown again (StaleSignIn) gets the same sentence under a
 * neutral code. Everything else goes to the pages' error handler.
 */
async function guarded(request: FastifyRequest, reply: FastifyReply, run: () => Promise<unknown>) {
  try {
    return await run();
  } catch (error) {
    if (!TesseraError.is(error)) throw error;
    const stale = error instanceof StaleSignIn;
    if (!stale && error.code !== ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass) throw error;
    if (!stale) request.log.warn({ reason: error.message }, "sign-in refused as a second-factor bypass");
    const t = translatorFor(pickLocale(undefined, request.headers["accept-language"]));
    return sendPage(
      reply,
      statusOf(error.code),
      error.code,
      t("errorTitle"),
      html`<p>${t("signInExpired")}</p>`,
    );
  }
}

export const interactionRoutes: FastifyPluginAsync = async (app) => {
  usePages(app, ssoLayoutOf);

  app.get<{ Params: InteractionParams }>(
    "/oidc/:tenant/interaction/:uid",
    { schema: { params, hide: true } },
    (request, reply) =>
      guarded(request, reply, async () => {
        const s = await openSignIn(request, reply, "show");
        const show = shows[s.row.step];
        if (show === undefined) throw bypass(`no page for step ${s.row.step}`);
        return show(s);
      }),
  );

  app.get("/oidc/assets/push-wait.js", { schema: { hide: true } }, (_request, reply) =>
    reply
      .headers({ "content-type": "text/javascript; charset=utf-8", "x-content-type-options": "nosniff" })
      .send(pushWaitSource),
  );

  app.get("/oidc/assets/webauthn.js", { schema: { hide: true } }, (_request, reply) =>
    reply
      .headers({ "content-type": "text/javascript; charset=utf-8", "x-content-type-options": "nosniff" })
      .send(webauthnSource),
  );

  app.get<{ Params: InteractionParams; Querystring: { push?: string; binding?: string } }>(
    "/oidc/:tenant/interaction/:uid/push-status",
    { schema: { params, querystring: pushStatusQuery, hide: true } },
    (request, reply) =>
      guarded(request, reply, async () => {
        const s = await openSignIn(request, reply, "show");
        if (s.row.step !== "factor") throw bypass(`a push status while the sign-in is at ${s.row.step}`);
        return reply
          .headers({ "cache-control": "no-store" })
          .send({ status: await pushStatus(s, request.query) });
      }),
  );

  app.get<{ Params: InteractionParams }>(
    "/oidc/:tenant/interaction/:uid/forgot",
    { schema: { params, hide: true } },
    (request, reply) =>
      guarded(request, reply, async () => showForgot(await openSignIn(request, reply, "show"))),
  );

  app.post(
    "/oidc/:tenant/interaction/:uid/:step",
    { schema: { params, body, hide: true } },
    (request: StepRequest, reply) =>
      guarded(request, reply, async () => {
        const s = await openSignIn(request, reply, "post");
        const form = request.body ?? {};
        if (!csrfTokenValid(s.ctx, s.tenant.id, s.uid, form.csrf))
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: "the form's token is not valid",
          });
        const step = request.params.step ?? "";
        if (step === "forgot") return postForgot(s, form);
        // The WebAuthn page script's ceremony (JSON) and the first page's passkey: each checks
        // the step the sign-in is at itself (factors/passkey-sign-in.ts).
        if (step === "webauthn-options")
          return reply.headers({ "cache-control": "no-store" }).send(await webauthnOptions(s));
        if (step === "passkey") return postPasskey(s, form);
        const post = posts[step];
        // Posting to any step but the current one (a later step, an earlier one, an unknown one) is
        // a crafted request: it is how a second factor would be skipped.
        if (post === undefined || step !== s.row.step)
          throw bypass(`a post to step ${step} while the sign-in is at ${s.row.step}`);
        return post(s, form);
      }),
  );
};
