import autocannon from "autocannon";

/** One measured workload: throughput and latency percentiles from autocannon. */
export interface Measurement {
  readonly workload: string;
  readonly backend: string;
  readonly implementation: string;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly method?: "GET" | "POST";
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** A different body for every request, in order (for single-use inputs such as one-time codes). */
  readonly bodies?: () => string;

  readonly connections: number;
  readonly durationSeconds: number;
}

export async function load(
  label: Omit<Measurement, "requestsPerSecond" | "p50Ms" | "p99Ms" | "errors" | "non2xx" | "concurrency">,
  options: LoadOptions,
): Promise<Measurement> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "GET",
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.bodies === undefined
      ? {}
      : {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                body: (options.bodies as () => string)(),
              }),
            },
          ],
        }),
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
  });
  return {
    ...label,
    concurrency: options.connections,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Operations per second of an async primitive run `parallel` at a time for `seconds`. */
export async function opsPerSecond(
  seconds: number,
  parallel: number,
  op: () => Promise<unknown>,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await op();
      count += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  return Math.round(count / ((performance.now() - started) / 1000));
}
