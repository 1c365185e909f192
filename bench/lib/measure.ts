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
  /**
   * CPU time the server process spent per answered request (all its threads). Unlike req/s it does
   * not move when other work on the machine takes CPU away; null where the server shares the load
   * generator's process (the bare baseline).
   */
  readonly serverCpuMicrosPerRequest: number | null;
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
  /** Stop after this many requests instead of after the duration (for a finite set of single-use inputs). */
  readonly amount?: number;
  /** CPU seconds the serving process has used so far, when it is a process of its own. */
  readonly serverCpuSeconds?: () => number;
}

export async function load(
  label: Pick<Measurement, "workload" | "backend" | "implementation">,
  options: LoadOptions,
): Promise<Measurement> {
  const cpuBefore = options.serverCpuSeconds?.();
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
    ...(options.amount === undefined ? { duration: options.durationSeconds } : { amount: options.amount }),
    pipelining: 1,
  });
  return {
    ...label,
    concurrency: options.connections,
    // A run cut short by `amount` may last under a second, where autocannon's per-second average
    // is the count itself: the total over the elapsed time is the rate.
    requestsPerSecond: Math.round(
      options.amount === undefined
        ? result.requests.average
        : result.requests.total / ((result.finish.getTime() - result.start.getTime()) / 1000),
    ),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    serverCpuMicrosPerRequest:
      cpuBefore === undefined || options.serverCpuSeconds === undefined || result.requests.total === 0
        ? null
        : Math.round(((options.serverCpuSeconds() - cpuBefore) * 1e6) / result.requests.total),
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
