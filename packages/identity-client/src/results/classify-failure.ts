import { IdentityStatusCode } from "@tessera/codes";

/**
 * Which identity code an online failure is (PRODUCT.md §6): the server unreachable
 * (ConnectionError), too slow (TimeOut), refusing the request (ClientError, a 4xx) or failing
 * (ServerError, a 5xx), or anything else (UnknownError). Callers that know better (an OAuth
 * `invalid_grant` means the sign-in is over) decide before calling this.
 */
export interface Classified {
  readonly status: IdentityStatusCode;
  readonly message: string;
}

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);
const timeoutCodes = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * What a host callback (the `fetch` init option) threw that is not a network failure. It is no
 * online failure: classifyFailure re-throws `thrown` as it was, so that the facade's guard answers
 * UnexpectedException (an Error) or UnknownException (anything else).
 */
export class HostCallbackFailure extends Error {
  readonly thrown: unknown;
  constructor(thrown: unknown) {
    super("a host callback threw");
    this.name = "HostCallbackFailure";
    this.thrown = thrown;
  }
}

/** An issuer's answer longer than the client reads (setup/host-fetch.ts): no online code fits better. */
export class AnswerTooLarge extends Error {
  constructor(limit: number) {
    super(`the server's answer is too large (over ${limit} bytes)`);
    this.name = "AnswerTooLarge";
  }
}

/** The classified failure; throws what a host callback threw (HostCallbackFailure) instead. */
export function classifyFailure(error: unknown): Classified {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 6; depth++) {
    if (cause instanceof HostCallbackFailure) throw cause.thrown;
    if (cause instanceof AnswerTooLarge)
      return { status: IdentityStatusCode.UnknownError, message: cause.message };
    const name = (cause as { name?: unknown }).name;
    const code = (cause as { code?: unknown }).code;
    if (
      name === "TimeoutError" ||
      name === "AbortError" ||
      (typeof code === "string" && timeoutCodes.has(code))
    )
      return { status: IdentityStatusCode.TimeOut, message: "the server did not answer in time" };
    if (typeof code === "string" && connectionCodes.has(code))
      return {
        status: IdentityStatusCode.ConnectionError,
        message: `the server cannot be reached (${code})`,
      };
    const status = httpStatusOf(cause);
    if (status !== undefined && status >= 500)
      return { status: IdentityStatusCode.ServerError, message: `the server failed (HTTP ${status})` };
    if (status !== undefined && status >= 400)
      return {
        status: IdentityStatusCode.ClientError,
        message: `the server refused the request (HTTP ${status}${oauthErrorOf(cause)})`,
      };
    cause = (cause as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && error.message === "fetch failed")
    return { status: IdentityStatusCode.ConnectionError, message: "the server cannot be reached" };
  return { status: IdentityStatusCode.UnknownError, message: "the server's answer could not be used" };
}

function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status >= 100 && status < 600) return status;
  const response = (error as { response?: unknown }).response;
  if (response instanceof Response) return response.status;
  return undefined;
}

/**
 * The OAuth `error` and `error_description` of a refusal ("invalid_request: requested grant type
 * is not allowed for this client"), which say what to fix in the app's registration. Each is
 * shown only in RFC 6749's charset for them (printable ASCII without quote or backslash) and cut
 * short: it is the server's text, and a terminal prints it.
 */
function oauthErrorOf(error: unknown): string {
  const { error: code, error_description: description } = error as Record<string, unknown>;
  const shown = (text: unknown, max: number) =>
    typeof text === "string" && /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(text)
      ? text.slice(0, max)
      : undefined;
  const name = shown(code, 64);
  if (name === undefined) return "";
  const said = shown(description, 200);
  return said === undefined ? `, ${name}` : `, ${name}: ${said}`;
}
