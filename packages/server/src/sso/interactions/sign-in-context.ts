import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import type Provider from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { setPageLayout } from "../../pages/page-routes.ts";
import { findTenant, type Tenant } from "../../tenants/tenant-store.ts";
import type { App } from "../apps/app.ts";
import { pickLocale } from "../pages/locale.ts";
import { ssoPageLayout } from "../pages/sso-page-layout.ts";
import { type Translator, translatorFor } from "../pages/translate.ts";
import { ssoTenantOf } from "../provider/provider-routes.ts";
import { appForSignIn } from "../tokens/account-client.ts";
import { crossSite, csrfToken } from "./csrf.ts";
import { findSignIn, type SignInRow, startSignIn } from "./sign-in-store.ts";
import { findUserById } from "./sign-in-user.ts";

type Interaction = Awaited<ReturnType<Provider["interactionDetails"]>>;

/** Everything a step handler needs about the sign-in it serves. */
export interface SignIn {
  readonly ctx: ServerContext;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly tenant: Tenant;
  readonly provider: Provider;
  readonly interaction: Interaction;
  readonly row: SignInRow;
  readonly app: App;
  readonly uid: string;
  /** The user the sign-in is about once the password (or the provider session) named one. */
  readonly username: string | undefined;
  readonly t: Translator;
  /** The page's language (BCP 47), also the language of the messages a factor sends. */
  readonly locale: string;
  readonly csrf: string;
  /** The interaction page's own path, where every step's form posts. */
  readonly path: string;
}

export type InteractionParams = { tenant: string; uid: string };

/** Refused as an attempt to get past the second factor (PRODUCT.md §5): audited as 9051. */
export const bypass = (message: string): TesseraError =>
  new TesseraError(ApiReturnCode.PartnerUserLoginAttepmtedOTPByPass, { message });

/** A finished or refused sign-in shown again: the stale page, audited as NotFound (not a bypass). */
export class StaleSignIn extends TesseraError {
  constructor() {
    super(TesseraApiCode.NotFound, { message: "the sign-in has ended" });
  }
}

/**
 * The provider session a sign-in may start from at the consent step instead of the password step:
 * only when oidc-provider itself found the login satisfied and asks for consent alone (its prompt,
 * stored server-side with the interaction: its login prompt, with Tessera's second-factor check,
 * comes first and would have been named). Anything else starts at the password step.
 */
function sessionSignIn(interaction: Interaction): { userId: string; amr: string[] } | undefined {
  const accountId = interaction.session?.accountId;
  if (interaction.prompt.name !== "consent" || accountId === undefined) return undefined;
  return { userId: accountId, amr: [...(interaction.session?.amr ?? [])] };
}

/**
 * Opens the sign-in a request names, or refuses it as a bypass attempt. The interaction is what
 * oidc-provider finds by its own cookie (path-scoped, signed); it must be the one the URL names,
 * of this tenant's issuer, for the same app as the stored row, which must not have expired or
 * ended. A GET may start the row (at the password step); a post never does: a post to a sign-in
 * that was never shown is crafted.
 */
export async function openSignIn(
  request: FastifyRequest<{ Params: InteractionParams }>,
  reply: FastifyReply,
  mode: "show" | "post",
): Promise<SignIn> {
  const { ctx } = request.server;
  const tenantId = await ssoTenantOf(request);
  const tenant = await findTenant(ctx.database.db, tenantId);
  if (tenant === undefined) throw new TesseraError(TesseraApiCode.NotFound, { message: "no such issuer" });
  request.tenant = tenant;
  // A post the browser made for another site is not the person's: refused before the sign-in is
  // looked at (csrf.ts).
  if (mode === "post" && crossSite(request))
    throw new TesseraError(TesseraApiCode.MalformedRequest, { message: "cross-site form post refused" });
  const { uid } = request.params;
  const provider = await ctx.sso.providerFor(tenantId);
  const interaction = await provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
  let row = await findSignIn(ctx, tenantId, uid);
  if (row !== undefined && (row.step === "done" || row.step === "refused")) {
    // Posting to an ended sign-in is a replay (9051); showing it (a reload, the back button)
    // asks for nothing and gets nothing, so it is a stale page with a neutral code.
    if (mode === "show") throw new StaleSignIn();
    throw bypass(`the sign-in has already ended (${row.step})`);
  }
  if (interaction === undefined) throw bypass("no interaction for this browser (expired or never started)");
  if (interaction.uid !== uid) throw bypass("the interaction named is not this browser's");
  const clientId = String(interaction.params.client_id ?? "");
  if (row === undefined) {
    if (mode === "post") throw bypass("a post to a sign-in that was never shown");
    row = await startSignIn(ctx, tenantId, uid, clientId, sessionSignIn(interaction));
  }
  if (row === undefined || Number(row.expires_at) <= ctx.clock.now()) throw bypass("the sign-in has expired");
  if (row.client_id !== clientId) throw bypass("the sign-in belongs to another app");
  let username: string | undefined;
  if (row.user_id !== null) {
    ({ username } = await findUserById(ctx, tenantId, row.user_id));
    request.auditSubject = `user:${username}`;
  }
  const app = await appForSignIn(ctx, tenantId, clientId);
  if (app === undefined) throw bypass("the app no longer exists");
  const locale = pickLocale(
    typeof interaction.params.ui_locales === "string" ? interaction.params.ui_locales : undefined,
    request.headers["accept-language"],
  );
  setPageLayout(request, ssoPageLayout(locale, app.redirectUris));
  return {
    ctx,
    request,
    reply,
    tenant,
    provider,
    interaction,
    row,
    app,
    uid,
    username,
    t: translatorFor(locale),
    locale,
    csrf: csrfToken(ctx, tenantId, uid),
    path: `/oidc/${tenantId}/interaction/${uid}`,
  };
}
