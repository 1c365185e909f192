import { ApiReturnCode, publicMessage, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { html, type SafeHtml } from "../pages/html.ts";
import { sendPage, usePages } from "../pages/page-routes.ts";
import { findTenant } from "../tenants/tenant-store.ts";
import { passwordField } from "../users/user-view.ts";
import { completeRecovery } from "./complete-recovery.ts";
import { checkRecovery, midPattern, ridPattern } from "./recovery-store.ts";

type Ids = { rid?: string; mid?: string };
const ids = {
  type: "object",
  properties: { rid: { type: "string", maxLength: 200 }, mid: { type: "string", maxLength: 200 } },
} as const;

/** The form; the one-time ids ride along as hidden fields, which is what makes the POST valid. */
const form = (rid: string, mid: string, problem?: string): SafeHtml =>
  html`${problem === undefined ? html`` : html`<p role="alert">${problem}</p>`}
<form method="post" action="/password-recovery">
<input type="hidden" name="rid" value="${rid}">
<input type="hidden" name="mid" value="${mid}">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${passwordField.minLength}" maxlength="${passwordField.maxLength}">
<label for="confirm">The same password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="${passwordField.minLength}" maxlength="${passwordField.maxLength}">
<button type="submit">Set my new password</button>
</form>`;

/** Any link problem is one public message: the page never says whether an account exists. */
const linkProblem = () =>
  new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryTokenNotFound, {
    message: "the recovery link is not valid",
  });

/**
 * The page the recovery e-mail links to (outside /v1, without an API key): GET shows the form for
 * an open request, POST sets the password once. See pages/page-routes.ts for the headers.
 */
export const recoveryPageRoutes: FastifyPluginAsync = async (app) => {
  usePages(app);

  app.get<{ Querystring: Ids }>(
    "/password-recovery",
    { schema: { querystring: ids } },
    async (request, reply) => {
      const { rid = "", mid = "" } = request.query;
      if (!ridPattern.test(rid) || !midPattern.test(mid)) throw linkProblem();
      const check = await checkRecovery(
        request.server.ctx.database.db,
        undefined,
        rid,
        mid,
        request.server.ctx.clock.now(),
      );
      if (typeof check === "string") {
        throw check === "expired"
          ? new TesseraError(ApiReturnCode.PartnerUserPasswordRecoveryExpiredToken)
          : linkProblem();
      }
      return sendPage(reply, 200, ApiReturnCode.Success, "Choose a new password", form(rid, mid));
    },
  );

  app.post<{ Body: Ids & { password?: string; confirm?: string } }>(
    "/password-recovery",
    {
      schema: {
        body: {
          type: "object",
          properties: {
            ...ids.properties,
            password: { type: "string", maxLength: passwordField.maxLength },
            confirm: { type: "string", maxLength: passwordField.maxLength },
          },
          // The form is ours: anything else was not typed by the person, so it is refused.
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { rid = "", mid = "", password = "", confirm = "" } = request.body ?? {};
      if (!ridPattern.test(rid) || !midPattern.test(mid)) throw linkProblem();
      let problem: string | undefined;
      if (password !== confirm) problem = "The two passwords are not the same.";
      else if (password.length < passwordField.minLength)
        problem = `The password must have at least ${passwordField.minLength} characters.`;
      if (problem !== undefined)
        return sendPage(
          reply,
          400,
          TesseraApiCode.MalformedRequest,
          "Choose a new password",
          form(rid, mid, problem),
        );
      const ctx = request.server.ctx;
      const done = await completeRecovery(ctx, undefined, { rid, mid, field: "body" }, password);
      request.auditSubject = `user:${done.username}`;
      const tenant = await findTenant(ctx.database.db, done.tenantId);
      if (tenant !== undefined) request.tenant = tenant;
      return sendPage(
        reply,
        200,
        done.code,
        "Your password was changed",
        html`<p>${publicMessage(done.code)}</p><p>You can now sign in with your new password.</p>`,
      );
    },
  );
};
