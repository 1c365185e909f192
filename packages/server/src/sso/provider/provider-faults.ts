import type { IncomingMessage } from "node:http";
import { ApiReturnCode, publicMessage } from "@tessera/codes";
import type { FastifyReply, FastifyRequest } from "fastify";
import type Provider from "oidc-provider";
import type { KoaContextWithOIDC } from "oidc-provider";
import { envelope } from "../../app/envelope.ts";
import { html, layout } from "../../pages/html.ts";
import { pickLocale } from "../pages/locale.ts";
import { translatorFor } from "../pages/translate.ts";

/**
 * What a client sees when the provider cannot do its job, and what the operator sees.
 *
 * - SSOCertificateError: the signing keys are unusable (signing-keys.ts); nothing of the issuer
 *   is served, since discovery and the JWKS would advertise keys the issuer cannot sign with.
 * - SSOInternalError: any other fault inside oidc-provider (its `server_error`: a stored model
 *   that no longer opens, a database failure mid-flow).
 *
 * Either way the client gets the code's generic public message and the request id, as an OAuth
 * error (`error`, `error_description`) that also carries Tessera's envelope, or as a page for a
 * browser; the detail (which key, which exception) goes only to the server log, as a structured
 * error without request bodies or query strings (they hold codes and tokens). Each fault is
 * audited with its precise code under the issuer's tenant.
 */
const requests = new WeakMap<IncomingMessage, FastifyRequest>();
const faults = new WeakMap<IncomingMessage, number>();

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

function faultPage(code: number, requestId: string, request: IncomingMessage, uiLocales: unknown): string {
  const t = translatorFor(
    pickLocale(typeof uiLocales === "string" ? uiLocales : undefined, request.headers["accept-language"]),
  );
  return layout(
    t("errorTitle"),
    html`<p>${publicMessage(code)}</p><p>${t("requestId", { id: requestId })}</p>`,
  );
}

/** Answers a request whose provider could not be made (SSOCertificateError), before hijacking. */
export function answerFault(request: FastifyRequest, reply: FastifyReply, code: number, cause: unknown) {
  request.log.error({ err: cause, code }, "SSO provider unavailable");
  const query = request.query as Record<string, unknown> | undefined;
  if (wantsPage(request.headers.accept))
    return reply
      .code(500)
      .header("cache-control", "no-store")
      .type("text/html; charset=utf-8")
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
    faults.set(ctx.req, code);
    // oidc-provider has set its JSON answer already (the page is rendered by renderError).
    if (typeof ctx.body === "object" && ctx.body !== null && !Buffer.isBuffer(ctx.body))
      ctx.body = oauthFault(code, requestId);
  });
  provider.use(async (ctx, next) => {
    await next();
    const request = requests.get(ctx.req);
    const code = faults.get(ctx.req);
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
