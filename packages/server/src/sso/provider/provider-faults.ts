import type { IncomingMessage } from "node:http";
import { ApiReturnCode, publicMessage, TesseraApiCode } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";
import { envelope } from "../../app/envelope.ts";
import { type Locale, pickLocale } from "../pages/locale.ts";
import { localeOf } from "../pages/provider-pages.ts";
import { providerHtmlHeaders, ssoPageHeaders } from "../pages/sso-headers.ts";
import { ssoDocument } from "../pages/sso-layout.ts";
import { ssoErrorBody } from "../pages/sso-page-layout.ts";
import { translatorFor } from "../pages/translate.ts";

/**
 * What a client sees when the provider cannot do its job, and what the operator sees.
 *
 * - SSOCertificateError: the signing keys are unusable (signing-keys.ts); nothing of the issuer
 *   is served, since discovery and the JWKS would advertise keys the issuer cannot sign with.
 * - SSOInternalError: any other fault inside oidc-provider (its `server_error`: a stored model
 *   that no longer opens, a database failure mid-flow), and anything thrown past oidc-provider's
 *   own error handlers (Koa would answer a bare text/plain 500 and log nothing).
 *
 * Either way the client gets the code's generic public message and the request id, as an OAuth
 * error (`error`, `error_description`) that also carries Tessera's envelope, or as a page for a
 * browser; the detail (which key, which exception) goes only to the server log, as a structured
 * error without request bodies or query strings (they hold codes and tokens). Each fault is
 * audited with its precise code under the issuer's tenant.
 */
const requests = new WeakMap<IncomingMessage, FastifyRequest>();
/** The code each provider request is audited with, when it is not an ordinary answer. */
const audited = new WeakMap<IncomingMessage, number>();

/** Remembers which Fastify request a raw request handed to a provider belongs to. */
export function trackProviderRequest(request: FastifyRequest): void {
  requests.set(request.raw, request);
}

/** When each request reached the SSO routes, for the audited duration. */
const started = new WeakMap<FastifyRequest, number>();
export function markStart(request: FastifyRequest): void {
  started.set(request, performance.now());
}

const faultMessage = (code: number, requestId: string) =>
  `${publicMessage(code)} Quote request id ${requestId} to an operator.`;

/** The JSON answer of a fault: the envelope first (resultCodeOf reads it), then OAuth's fields. */
export function oauthFault(code: number, requestId: string) {
  const message = faultMessage(code, requestId);
  return { ...envelope(code, message), error: "server_error", error_description: message, requestId };
}

const wantsPage = (accept: string | undefined) => (accept ?? "").includes("text/html");

/** The SSO error page (the same as the provider's renderError) in `locale`. */
const faultDocument = (code: number, requestId: string, locale: Locale): string =>
  ssoDocument({
    locale,
    title: translatorFor(locale)("errorTitle"),
    body: ssoErrorBody(locale, code, requestId),
  });

function faultPage(code: number, requestId: string, request: IncomingMessage, uiLocales: unknown): string {
  const locale = pickLocale(
    typeof uiLocales === "string" ? uiLocales : undefined,
    request.headers["accept-language"],
  );
  return faultDocument(code, requestId, locale);
}

/** A provider's Koa context, before its router gives it `oidc`. */
type KoaContext = Parameters<Parameters<Provider["use"]>[0]>[0];

/** The page's language for an answer made outside oidc-provider's pages (before or past its router). */
function koaLocale(ctx: KoaContext): Locale {
  try {
    const uiLocales = ctx.query.ui_locales;
    if (typeof uiLocales === "string") return pickLocale(uiLocales, ctx.get("accept-language"));
    return localeOf(ctx as unknown as KoaContextWithOIDC);
  } catch {
    return pickLocale(undefined, ctx.get("accept-language") || undefined);
  }
}

/**
 * Answers inside a provider's Koa app with Tessera's code `code`: the SSO error page for a browser,
 * else an OAuth error (`oauthError`) that carries the envelope and the request id. The code is
 * audited as the request's result.
 */
export function answerInProvider(ctx: KoaContext, status: number, code: number, oauthError: string): void {
  const requestId = String(ctx.res.getHeader("x-request-id") ?? "");
  audited.set(ctx.req, code);
  ctx.status = status;
  ctx.set("cache-control", "no-store");
  if (ctx.accepts("json", "html") === "html") {
    ctx.set(ssoPageHeaders());
    ctx.type = "html";
    ctx.body = faultDocument(code, requestId, koaLocale(ctx));
    return;
  }
  const message = status >= 500 ? faultMessage(code, requestId) : publicMessage(code);
  ctx.body = { ...envelope(code, message), error: oauthError, error_description: message, requestId };
}

/** Answers a request whose provider could not be made (SSOCertificateError), before hijacking. */
export function answerFault(request: FastifyRequest, reply: FastifyReply, code: number, cause: unknown) {
  request.log.error({ err: cause, code }, "SSO provider unavailable");
  const query = request.query as Record<string, unknown> | undefined;
  if (wantsPage(request.headers.accept))
    return reply
      .code(500)
      .headers(ssoPageHeaders())
      .send(faultPage(code, request.id, request.raw, query?.ui_locales));
  return reply.code(500).header("cache-control", "no-store").send(oauthFault(code, request.id));
}

/**
 * Logs and shapes every `server_error` of `provider` as SSOInternalError, and audits it before the
 * answer leaves (an outer middleware: oidc-provider's error handlers sit inside its router).
 */
export function installFaultHandling(provider: Provider, tenantId: string): void {
  provider.on("server_error", (ctx: KoaContextWithOIDC, error: unknown) => {
    const code = ApiReturnCode.SSOInternalError;
    const request = requests.get(ctx.req);
    const requestId = request?.id ?? String(ctx.res.getHeader("x-request-id") ?? "");
    request?.log.error({ err: error, code, tenantId, route: ctx.oidc?.route }, "SSO provider fault");
    audited.set(ctx.req, code);
    // oidc-provider has set its JSON answer already (the page is rendered by renderError).
    if (typeof ctx.body === "object" && ctx.body !== null && !Buffer.isBuffer(ctx.body))
      ctx.body = oauthFault(code, requestId);
  });
  provider.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // Thrown past oidc-provider's error handlers (e.g. its session middleware, outside them).
      // A client error Koa would expose (an HTTP 4xx error) stays one; anything else is a fault.
      const status = (error as { status?: unknown } | null)?.status;
      if (typeof status === "number" && status >= 400 && status < 500) {
        if (!ctx.headerSent)
          answerInProvider(ctx, status, TesseraApiCode.MalformedRequest, "invalid_request");
      } else {
        const code = ApiReturnCode.SSOInternalError;
        requests
          .get(ctx.req)
          ?.log.error(
            { err: error, code, tenantId, route: (ctx as Partial<KoaContextWithOIDC>).oidc?.route },
            "SSO provider fault",
          );
        if (!ctx.headerSent) answerInProvider(ctx, 500, code, "server_error");
      }
    }
    // No route of the provider: Koa would answer a text/plain "Not Found".
    if (ctx.status === 404 && ctx.body == null)
      answerInProvider(ctx, 404, TesseraApiCode.NotFound, "invalid_request");
    // Pages oidc-provider writes itself (its form_post page) get the SSO pages' strict headers,
    // keeping the CSP it made (the one inline script's hash); Tessera's pages have them already.
    if (ctx.response.is("html") && !ctx.response.get("x-frame-options")) ctx.set(providerHtmlHeaders);
    const request = requests.get(ctx.req);
    const code = audited.get(ctx.req);
    if (request === undefined || code === undefined) return;
    try {
      await auditFault(request, tenantId, code);
    } catch (error) {
      request.log.error({ err: error }, "audit event could not be written");
    }
  });
}

/** Audits a fault under the issuer's tenant. */
export async function auditFault(request: FastifyRequest, tenantId: string, code: number): Promise<void> {
  const { audit, clock } = request.server.ctx;
  await audit.append({
    at: clock.now(),
    tenantId,
    actor: "anonymous",
    subject: null,
    sourceIp: request.ip,
    operation: `${request.method} /oidc/:tenant/*`,
    resultCode: code,
    durationMs: Math.round(performance.now() - (started.get(request) ?? performance.now())),
    requestId: request.id,
  });
}
