import { AnswerTooLarge, HostCallbackFailure } from "../results/classify-failure.ts";

/**
 * The most an issuer's answer may hold (discovery, JWKS, client information, tokens, userinfo are
 * all a few KiB): a hostile or broken issuer could otherwise fill the program's memory.
 */
export const MAX_ISSUER_ANSWER_BYTES = 1024 * 1024;
/** Statuses whose Response cannot carry a body (new Response refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The fetch every request to the server goes through. It applies the `timeoutMs` option to the
 * whole exchange (headers and body), also to a host fetch that ignores its signal, and keeps a host
 * fetch's own failures apart from network failures: the Fetch standard rejects a network failure
 * with a TypeError, so that (and our own timeout) stays a network failure for classifyFailure;
 * anything else the host throws is wrapped in HostCallbackFailure, which classifyFailure re-throws
 * as it was so that it reaches the facade's guard (UnexpectedException / UnknownException) instead
 * of being mistaken for an unreachable server.
 *
 * With a `timeoutMs` (the issuer's requests) the body is read through a limiter: reading it
 * fails with AnswerTooLarge past MAX_ISSUER_ANSWER_BYTES, and with the timeout's reason when the
 * time is up even if the host fetch ignores the signal and its body drips forever. Without one (the
 * program's own resources, batch fetch) the response is the program's, unbounded.
 */
export function serverFetch(host: typeof fetch | undefined, timeoutMs: number | undefined): typeof fetch {
  const base = host ?? globalThis.fetch;
  return async (input, init = {}) => {
    const signals = [
      init.signal,
      timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
    ].filter((signal): signal is AbortSignal => signal instanceof AbortSignal);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    const request = init.signal === signal || signal === undefined ? init : { ...init, signal };
    let answer: unknown;
    try {
      const response = Promise.resolve(base(input, request));
      answer = await (signal === undefined ? response : abortable(response, signal));
    } catch (thrown) {
      throw hostOrNetwork(thrown, signal);
    }
    // By tag, not instanceof: a proxy's fetch (the undici package) has its own Response class.
    if (Object.prototype.toString.call(answer) !== "[object Response]")
      throw new HostCallbackFailure(new TypeError("the fetch option answered no Response"));
    return signal === undefined || timeoutMs === undefined
      ? (answer as Response)
      : bounded(answer as Response, signal);
  };
}

function bounded(response: Response, signal: AbortSignal): Response {
  if (response.body === null || NULL_BODY.has(response.status)) return response;
  let seen = 0;
  const limiter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > MAX_ISSUER_ANSWER_BYTES) controller.error(new AnswerTooLarge(MAX_ISSUER_ANSWER_BYTES));
      else controller.enqueue(chunk);
    },
  });
  const limited = new Response(response.body.pipeThrough(limiter, { signal }), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(limited, "url", { value: response.url });
  return limited;
}

function hostOrNetwork(thrown: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted === true) return signal.reason;
  if (thrown instanceof TypeError) return thrown;
  return new HostCallbackFailure(thrown);
}

/** Rejects with the signal's reason when it aborts, even if the fetch itself never settles. */
function abortable<T>(response: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    response.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
