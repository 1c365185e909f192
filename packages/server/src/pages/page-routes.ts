import { ApiReturnCode, publicMessage, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { envelope, resultCodeOf } from "../app/envelope.ts";
import { classifyFrameworkError } from "../app/error-handler.ts";
import { recordRequest } from "../audit/audit-requests.ts";
import { isDatabaseFailure } from "../storage/database-failure.ts";
import { html, layout } from "./html.ts";

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

/** Sends a page; `code` is what the audit trail records for it. */
export function sendPage(reply: FastifyReply, status: number, code: number, title: string, body = html``) {
  return sendDocument(reply, status, code, layout(title, body));
}

/** Sends a whole HTML document (an SSO page in its own layout) with the pages' strict headers. */
export function sendDocument(
  reply: FastifyReply,
  status: number,
  code: number,
  document: string,
  headers: Record<string, string> = pageHeaders,
) {
  codes.set(reply.request, code);
  return reply.code(status).headers(headers).send(document);
}

/** A client that asked for JSON (an app rather than a browser) gets the API's envelope. */
export const wantsJson = (request: FastifyRequest): boolean => {
  const accept = request.headers.accept ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
};

/** Sets up an encapsulated plugin for pages; call it first in the plugin. */
export function usePages(app: FastifyInstance): void {
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
    return sendPage(
      reply,
      failure.httpStatus,
      failure.code,
      "This did not work",
      html`<p>${publicMessage(failure.code)}</p>`,
    );
  });
}
