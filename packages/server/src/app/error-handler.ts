import type { Socket } from "node:net";
import { ApiReturnCode, describe, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isDatabaseFailure } from "../storage/database-failure.ts";
import { cutText } from "./echoed-text.ts";
import { envelope, type FieldProblem, MAX_LISTED_ERRORS } from "./envelope.ts";
import { SHAPE_KEYWORD } from "./shape-checks.ts";
import { EXPECT_KEYWORD } from "./validator-compiler.ts";

/**
 * Turns every failure into the envelope with the right catalog code and HTTP status. Unexpected
 * faults become InternalError with the request id only: no stack trace, no internal message.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TesseraError, request, reply) => {
    if (TesseraError.is(error)) {
      if (error.httpStatus >= 500)
        request.log.error({ err: error.cause ?? error, code: error.code }, "request failed");
      const body = envelope(error.code, error.message, error.field, error.problems);
      if (error.retryAt === undefined) return reply.code(error.httpStatus).send(body);
      // A temporary lock says when it ends, for machines as well as in the message; one place, so
      // every lock answers alike.
      const seconds = Math.max(1, Math.ceil((error.retryAt - request.server.ctx.clock.now()) / 1000));
      return reply
        .code(error.httpStatus)
        .header("retry-after", String(seconds))
        .send({ ...body, lockedUntil: new Date(error.retryAt).toISOString() });
    }
    const known = classifyFrameworkError(error);
    if (known !== undefined) {
      return reply.code(known.status).send(envelope(known.code, known.message, known.field, known.errors));
    }
    if (isDatabaseFailure(error)) {
      request.log.error({ err: error }, "database failure");
      return reply
        .code(503)
        .send(envelope(ApiReturnCode.DatabaseError, "The database is not available; nothing was changed."));
    }
    request.log.error({ err: error }, "unexpected error");
    return reply
      .code(500)
      .send(
        envelope(
          TesseraApiCode.InternalError,
          `Internal error; quote request id ${request.id} to an operator.`,
        ),
      );
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const allowed = methods.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header("allow", allowed.join(", "))
        .send(
          envelope(
            TesseraApiCode.MethodNotAllowed,
            `${request.method} is not allowed on ${path}; use ${allowed.join(", ")}.`,
          ),
        );
    }
    return reply.code(404).send(envelope(TesseraApiCode.NotFound, `No route ${request.method} ${path}.`));
  });
}

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const message =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? "A path parameter is too long."
      : "The request URL is malformed.";
  reply.code(400).send(envelope(TesseraApiCode.MalformedRequest, message, "params"));
}

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (malformed request line, headers
 * too large) still get the envelope, written straight to the socket.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  // Node's headers or request timeout (see build-app.ts): the client was too slow to send it.
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    const body = JSON.stringify(
      envelope(TesseraApiCode.RequestTimeout, "The request was not received in time."),
    );
    socket.end(
      `HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const body = JSON.stringify(
    envelope(
      TesseraApiCode.MalformedRequest,
      tooLarge ? "The request headers are too large." : "The request is not valid HTTP.",
      "headers",
    ),
  );
  const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

type Classified = {
  status: number;
  code: number;
  message: string;
  field?: string;
  errors?: readonly FieldProblem[];
};

export function classifyFrameworkError(error: FastifyError): Classified | undefined {
  if (error.validation !== undefined) return validationFailure(error);
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, code: TesseraApiCode.PayloadTooLarge, message: "The request body is too large." };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return {
        status: 415,
        code: TesseraApiCode.UnsupportedMediaType,
        message: "The request body must be application/json.",
      };
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return {
        status: 400,
        code: TesseraApiCode.MalformedRequest,
        message: "The body is not valid JSON.",
        field: "body",
      };
  }
  // Any other client error raised by the framework (bad header, bad URL): a 4xx, never a 5xx.
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: 400, code: TesseraApiCode.MalformedRequest, message: error.message };
  }
  if (error instanceof SyntaxError) {
    return {
      status: 400,
      code: TesseraApiCode.MalformedRequest,
      message: "The body is not valid JSON.",
      field: "body",
    };
  }
  return undefined;
}

/**
 * Every problem validation found (allErrors: the schema's and the shape checks', shape-checks.ts),
 * each naming its field by full path (`body.username`, `querystring.limit`, `params.serial`). An
 * unknown field comes first: it is usually a typo, and the "missing" field it was meant to be is
 * then a consequence, not the cause. The first problem's code is the answer's: a shape check
 * answers with its own (a malformed username is InvalidPartnerUserLogin), the schema with
 * MalformedRequest.
 */
function validationFailure(error: FastifyError): Classified {
  const context = error.validationContext ?? "body";
  // An `if` error only repeats the `then` error it wraps (validator-compiler.ts bounds patterns so).
  const issues = (error.validation ?? []).filter((issue) => issue.keyword !== "if");
  const described = issues.map((issue) => describeIssue(context, issue));
  // A field the schema refuses (digits: 2^31) is not also reported by a shape check (digits must
  // be 6 or 8): the schema's is the more basic problem, and one field gets one code.
  const bySchema = new Set(described.filter((p) => !p.shape).map((p) => p.field));
  const problems = described.filter((p) => !p.shape || !bySchema.has(p.field));
  const unique = [...new Map(problems.map((p) => [`${p.field} ${p.message}`, p])).values()];
  const ordered = [...unique.filter((p) => p.unknown), ...unique.filter((p) => !p.unknown)];
  const listed = ordered.slice(0, MAX_LISTED_ERRORS);
  const first = listed[0] ?? {
    field: context,
    message: `${context} is invalid.`,
    code: TesseraApiCode.MalformedRequest,
  };
  return {
    status: describe(first.code, "api")?.httpStatus ?? 400,
    code: first.code,
    message: first.message,
    field: first.field,
    errors: (listed.length === 0 ? [first] : listed).map(({ field, message }) => ({ field, message })),
  };
}

type Issue = NonNullable<FastifyError["validation"]>[number];
type Problem = FieldProblem & { unknown: boolean; shape: boolean; code: number };

/**
 * Echoed field names are cut: an unknown key of 60 KB must not come back four times (field and
 * message, at the top and in `errors`), so the answer stays small whatever the body held.
 */
const MAX_ECHOED_NAME = 100;
const echoed = (name: string) =>
  name.length <= MAX_ECHOED_NAME ? name : `${cutText(name, MAX_ECHOED_NAME)}…`;

function describeIssue(context: string, issue: Issue): Problem {
  const path = (issue.instancePath ?? "").split("/").filter(Boolean).map(unescapePointer);
  const params = (issue.params ?? {}) as Record<string, unknown>;
  const extra = params.missingProperty ?? params.additionalProperty;
  const field = [context, ...path, typeof extra === "string" ? extra : ""]
    .filter(Boolean)
    .map(echoed)
    .join(".");
  const unknown = params.additionalProperty !== undefined;
  const reason = unknown
    ? "is not a known field"
    : params.missingProperty !== undefined
      ? "is required"
      : explain(issue, params);
  const code = typeof params.code === "number" ? params.code : TesseraApiCode.MalformedRequest;
  return { field, message: `${field} ${reason}.`, unknown, shape: issue.keyword === SHAPE_KEYWORD, code };
}

/** JSON Pointer escapes in Ajv's instancePath (`~1` is `/`, `~0` is `~`). */
const unescapePointer = (segment: string) => segment.replace(/~1/g, "/").replace(/~0/g, "~");

/** Keywords about a string's form, which a schema's `x-expect` explains in words. */
const formKeywords = new Set(["pattern", "format", "minLength", "maxLength"]);

/**
 * Ajv's message, made to say what to send: an `enum` lists its values, and a string whose form is
 * wrong says what it must be (`x-expect` of its schema: "an e-mail address", "a date,
 * YYYY-MM-DD") instead of printing a regular expression or a length that only guards a pattern.
 */
function explain(issue: Issue, params: Record<string, unknown>): string {
  if (issue.keyword === "enum" && Array.isArray(params.allowedValues))
    return `must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(", ")}`;
  const { parentSchema } = issue as Issue & { parentSchema?: Record<string, unknown> };
  const expect = parentSchema?.[EXPECT_KEYWORD];
  if ((formKeywords.has(issue.keyword) || issue.keyword === "not") && typeof expect === "string")
    return `must be ${expect}`;
  if (issue.keyword === "not") return "has a value that is not allowed here";
  if (issue.keyword === "minProperties" && typeof params.limit === "number")
    return `must give at least ${params.limit} field${params.limit === 1 ? "" : "s"}`;
  if (issue.keyword === "type" && typeof params.type === "string")
    return `must be ${params.type
      .split(",")
      .map((type) => (type === "null" ? "null" : `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`))
      .join(" or ")}`;
  return issue.message ?? "is invalid";
}
