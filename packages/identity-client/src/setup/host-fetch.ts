import { HostCallbackFailure } from "../results/classify-failure.ts";

/**
 * The fetch every request to the server goes through. It applies the `timeoutMs` option to the
 * whole exchange (headers and body), also to a host fetch that ignores its signal, and keeps a host
 * fetch's own failures apart from network failures: the Fetch standard rejects a network failure
 * with a TypeError, so that (and our own timeout) stays a network failure for classifyFailure;
 * anything else the host throws is wrapped in HostCallbackFailure, which classifyFailure re-throws
 * as it was so that it reaches the facade's guard (UnexpectedException / UnknownException) instead
 * of being mistaken for an unreachable server.
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
    return answer as Response;
  };
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
