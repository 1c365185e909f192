import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { html } from "../../pages/html.ts";
import { sendPage, usePages } from "../../pages/page-routes.ts";
import { PAT_GRANT_TYPE } from "../apps/app.ts";
import { appOf } from "../apps/app-store.ts";
import { crossSite } from "../interactions/csrf.ts";
import { pickLocale } from "../pages/locale.ts";
import type { MessageKey } from "../pages/messages/en.ts";
import { ssoLayoutOf } from "../pages/sso-page-layout.ts";
import { type Translator, translatorFor } from "../pages/translate.ts";
import { signedInPath, signInUrl, tokensPagePath } from "./account-client.ts";
import { csrfMatches, pageTenant, type SignedIn, signedInUser } from "./account-session.ts";
import { createPatFor } from "./create-pat.ts";
import { type TokensPage, tokensPageBody } from "./pat-page-view.ts";
import { revokePatAndAccess } from "./pat-revocation.ts";
import { listPats } from "./pat-store.ts";
import { patView } from "./pat-view.ts";

type TenantParams = { tenant: string };
type CreateForm = { csrf?: string; clientId?: string; name?: string; expiresInDays?: string };
const text = (maxLength: number) => ({ type: "string", maxLength }) as const;
const tenantParams = { type: "object", properties: { tenant: text(64) }, required: ["tenant"] } as const;
const formBody = (properties: Record<string, { type: string; maxLength: number }>) =>
  // The forms are ours: anything else was not typed by the person, so it is refused.
  ({ type: "object", properties: { csrf: text(100), ...properties }, additionalProperties: false }) as const;
/** The page shows a user's newest tokens; the API lists all of them, paged. */
const PAGE_ROWS = 200;

const translator = (request: FastifyRequest): Translator =>
  translatorFor(pickLocale(undefined, request.headers["accept-language"]));

/** A redirect that still shows a link (no script needed) and is recorded as a success. */
function seeOther(reply: FastifyReply, t: Translator, location: string) {
  reply.header("location", location);
  return sendPage(
    reply,
    303,
    ApiReturnCode.Success,
    t("tokensTitle"),
    html`<p><a href="${location}">${t("continue")}</a></p>`,
  );
}

/**
 * The self-service page of a signed-in user's personal access tokens, under the tenant's issuer
 * (/oidc/<tenant>/account/tokens): list, create (the token shown once), revoke. Who is signed in
 * comes from the provider's session cookie (account-session.ts); a signed-out visitor is sent to
 * the sign-in pages through the account client (account-client.ts) and comes back here. Every post
 * carries the session's form token; the pages' strict headers and audit come from usePages.
 */
export const patPageRoutes: FastifyPluginAsync = async (app) => {
  usePages(app, ssoLayoutOf);

  async function render(
    request: FastifyRequest<{ Params: TenantParams }>,
    reply: FastifyReply,
    signedIn: SignedIn,
    status: number,
    code: number,
    extra: Pick<TokensPage, "created" | "problem" | "entered"> = {},
  ) {
    const { ctx } = request.server;
    const { user } = signedIn;
    const now = ctx.clock.now();
    const rows = await listPats(ctx.database.db, user.tenant_id, user.id, PAGE_ROWS, undefined);
    const appRows = await ctx.database.db
      .selectFrom("sso_apps")
      .selectAll()
      .where("tenant_id", "=", user.tenant_id)
      .orderBy("name")
      .execute();
    const takesPats = appRows.map(appOf).filter((a) => a.grantTypes.includes(PAT_GRANT_TYPE));
    // Apps that require a second factor are offered only to a session that proved one.
    const offered = takesPats.filter((a) => signedIn.secondFactor || !a.requireSecondFactor);
    const apps = offered.map((a) => [a.clientId, a.name] as const);
    const t = translator(request);
    const body = tokensPageBody({
      t,
      action: tokensPagePath(user.tenant_id),
      csrf: signedIn.csrf,
      pats: rows.map((row) => patView(row, now)),
      apps,
      appNames: new Map(appRows.map((row) => [row.client_id, row.name])),
      maxDays: ctx.config.personalAccessTokens.maxDays,
      ...(offered.length < takesPats.length
        ? { secondFactorSignIn: signInUrl(ctx.publicUrl, user.tenant_id, "login") }
        : {}),
      ...extra,
    });
    return sendPage(reply, status, code, t("tokensTitle"), body);
  }

  /** The signed-in user, or undefined after sending the visitor to sign in. */
  async function userOrSignIn(request: FastifyRequest<{ Params: TenantParams }>, reply: FastifyReply) {
    const signedIn = await signedInUser(request, reply);
    if (signedIn === undefined) {
      const { ctx } = request.server;
      await seeOther(reply, translator(request), signInUrl(ctx.publicUrl, request.params.tenant));
    }
    return signedIn;
  }

  /**
   * Two checks before a post changes anything: the browser must not label it cross-site (Origin,
   * Sec-Fetch-Site; as the sign-in pages do), and it must carry this session's form token.
   */
  const requireForm = (request: FastifyRequest, signedIn: SignedIn, csrf: string | undefined) => {
    if (crossSite(request))
      throw new TesseraError(TesseraApiCode.MalformedRequest, { message: "cross-site form post refused" });
    if (!csrfMatches(request.server.ctx, signedIn.sessionUid, csrf))
      throw new TesseraError(TesseraApiCode.MalformedRequest, {
        message: "the form token does not belong to this session",
        field: "body.csrf",
      });
  };

  app.get<{ Params: TenantParams }>(
    "/oidc/:tenant/account/tokens",
    { schema: { params: tenantParams } },
    async (request, reply) => {
      const signedIn = await userOrSignIn(request, reply);
      if (signedIn === undefined) return reply;
      return render(request, reply, signedIn, 200, ApiReturnCode.Success);
    },
  );

  app.post<{ Params: TenantParams; Body: CreateForm }>(
    "/oidc/:tenant/account/tokens",
    {
      schema: {
        params: tenantParams,
        body: formBody({ clientId: text(200), name: text(100), expiresInDays: text(20) }),
      },
    },
    async (request, reply) => {
      const signedIn = await userOrSignIn(request, reply);
      if (signedIn === undefined) return reply;
      const form = request.body ?? {};
      requireForm(request, signedIn, form.csrf);
      const entered = {
        clientId: form.clientId ?? "",
        name: form.name ?? "",
        expiresInDays: form.expiresInDays ?? "",
      };
      const days = /^[0-9]{1,6}$/.test(entered.expiresInDays) ? Number(entered.expiresInDays) : Number.NaN;
      try {
        const { token } = await createPatFor(
          request.server.ctx,
          signedIn.user,
          { clientId: entered.clientId, name: entered.name, expiresInDays: days },
          (name) => `body.${name}`,
          signedIn.secondFactor,
        );
        return render(request, reply, signedIn, 201, ApiReturnCode.Success, { created: token });
      } catch (error) {
        const problem = TesseraError.is(error) ? problemKey(error) : undefined;
        if (problem === undefined || !TesseraError.is(error)) throw error;
        const max = String(request.server.ctx.config.personalAccessTokens.maxDays);
        const t = translator(request);
        return render(request, reply, signedIn, error.httpStatus, error.code, {
          problem: t(problem, { max }),
          entered,
        });
      }
    },
  );

  app.post<{ Params: TenantParams & { id: string }; Body: { csrf?: string } }>(
    "/oidc/:tenant/account/tokens/:id/revoke",
    {
      schema: {
        params: { ...tenantParams, properties: { ...tenantParams.properties, id: text(64) } },
        body: formBody({}),
      },
    },
    async (request, reply) => {
      const signedIn = await userOrSignIn(request, reply);
      if (signedIn === undefined) return reply;
      requireForm(request, signedIn, request.body?.csrf);
      const { ctx } = request.server;
      const { user } = signedIn;
      const revoked = await revokePatAndAccess(ctx, user.tenant_id, user.id, request.params.id);
      if (revoked === undefined)
        throw new TesseraError(TesseraApiCode.NotFound, { message: "no such token", field: "params.id" });
      return seeOther(reply, translator(request), tokensPagePath(user.tenant_id));
    },
  );

  // Where the account client's sign-in comes back: the session is set, the code is not needed.
  app.get<{ Params: TenantParams; Querystring: { error?: string } }>(
    signedInPath(":tenant"),
    { schema: { params: tenantParams, querystring: { type: "object", properties: { error: text(200) } } } },
    async (request, reply) => {
      const t = translator(request);
      const tokens = tokensPagePath(await pageTenant(request));
      if (request.query.error === undefined) return seeOther(reply, t, tokens);
      // The sign-in pages recorded why; this page says only that it did not complete.
      return sendPage(
        reply,
        401,
        ApiReturnCode.PartnerUserLoginFailed,
        t("tokensSignInFailed"),
        html`<p><a href="${tokens}">${t("tokensTryAgain")}</a></p>`,
      );
    },
  );
};

/** The sentence for a refused create, by the field it names (or the cap). */
function problemKey(error: TesseraError): MessageKey | undefined {
  if (error.code === TesseraApiCode.PersonalAccessTokenLimitReached) return "tokensProblemLimit";
  const byField: Record<string, MessageKey> = {
    "body.name": "tokensProblemName",
    "body.expiresInDays": "tokensProblemDays",
    "body.clientId": "tokensProblemApp",
  };
  return error.field === undefined ? undefined : byField[error.field];
}
