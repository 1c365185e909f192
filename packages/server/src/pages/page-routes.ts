import { ApiReturnCode, publicMessage, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { envelope, resultCodeOf } from "../app/envelope.ts";
import { classifyFrameworkError } from "../app/error-handler.ts";
import { recordRequest } from "../audit/audit-requests.ts";
import { isDatabaseFailure } from "../storage/database-failure.ts";
import { html, layout, type SafeHtml } from "./html.ts";

/**
 * What every end-user page shares: strict headers, form posts, an audit event per request, and
 * errors shown as a page with the code's public message (never the internal one, which may say
 * whether an account exists).
 *
 * Pages are opened from links in e-mail and chat. The one-time ids travel in the URL, so the
 * pages send no referrer, are never cached, load nothing from elsewhere and run no script (the
 * Content-Security-Policy allows only the inline style and data: images for QR codes). Forms
 * post to the page itself carrying the ids as hidden fields: no cookie is involved, so there is no
 * session for a cross-site request to ride on, and only a holder of the ids can post.
 */
export const pageHeaders = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const codes = new WeakMap<FastifyRequest, number>();

/**
 * How a family of pages looks and speaks: the SSO pages (sso/pages/) bring their own layout,
 * language and CSP; the others use the plain English one below.
 */
export interface PageLayout {
  readonly headers: Readonly<Record<string, string>>;
  document(title: string, body: SafeHtml): string;
  /** The error page for `code`: its generic public message, never the precise reason. */
  errorPage(code: number, requestId: string): { title: string; body: SafeHtml };
}

const plainLayout: PageLayout = {
  headers: pageHeaders,
  document: layout,
  errorPage: (code) => ({ title: "This did not work", body: html`<p>${publicMessage(code)}</p>` }),
};

const layouts = new WeakMap<FastifyRequest, PageLayout>();

/** Renders this request's pages (and its error page) in `pageLayout`. */
export function setPageLayout(request: FastifyRequest, pageLayout: PageLayout): void {
  layouts.set(request, pageLayout);
}

/** Sends a page; `code` is what the audit trail records for it. */
export function sendPage(reply: FastifyReply, status: number, code: number, title: string, body = html``) {
  codes.set(reply.request, code);
  const pageLayout = layouts.get(reply.request) ?? plainLayout;
  return reply.code(status).headers(pageLayout.headers).send(pageLayout.document(title, body));
}

/** Sends a 303 (after a form post: the browser GETs the next page); `code` is what the audit trail records. */
export function sendRedirect(reply: FastifyReply, code: number, location: string) {
  codes.set(reply.request, code);
  return reply
    .headers({ "cache-control": "no-store", "referrer-policy": "no-referrer" })
    .redirect(location, 303);
}

/** A client that asked for JSON (an app rather than a browser) gets the API's envelope. */
export const wantsJson = (request: FastifyRequest): boolean => {
  const accept = request.headers.accept ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
};

/**
 * Sets up an encapsulated plugin for pages; call it first in the plugin. `layoutOf` chooses the
 * pages' layout per request (a handler may refine it with setPageLayout).
 */
export function usePages(app: FastifyInstance, layoutOf?: (request: FastifyRequest) => PageLayout): void {
  if (layoutOf !== undefined)
    app.addHook("onRequest", async (request) => setPageLayout(request, layoutOf(request)));
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.addHook("onSend", async (request, reply, payload) => {
    const code = codes.get(request) ?? resultCodeOf(payload) ?? reply.statusCode;
    try {
      await recordRequest(request, code, reply.elapsedTime);
      return payload;
    } catch (error) {
      // Fail closed, as the API does: nothing is shown that the trail does not record.
      request.log.error({ err: error }, "audit event could not be written");
      reply.code(503).headers(pageHeaders);
      return layout("Please try again later", html`<p>${publicMessage(ApiReturnCode.DatabaseError)}</p>`);
    }
  });
  app.setErrorHandler((error, request, reply) => {
    const known = TesseraError.is(error) ? undefined : classifyFrameworkError(error as FastifyError);
    const failure = TesseraError.is(error)
      ? error
      : known !== undefined
        ? new TesseraError(known.code, {
            message: known.message,
            ...(known.field ? { field: known.field } : {}),
          })
        : isDatabaseFailure(error)
          ? new TesseraError(ApiReturnCode.DatabaseError, { cause: error })
          : new TesseraError(TesseraApiCode.InternalError, { cause: error });
    if (failure.httpStatus >= 500) request.log.error({ err: failure.cause ?? failure }, "page failed");
    if (wantsJson(request)) {
      return reply
        .code(failure.httpStatus)
        .send(envelope(failure.code, failure.message, failure.field, known?.errors));
    }
    const page = (layouts.get(request) ?? plainLayout).errorPage(failure.code, request.id);
    return sendPage(reply, failure.httpStatus, failure.code, page.title, page.body);
  });
}
