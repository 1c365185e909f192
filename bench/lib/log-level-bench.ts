import { closeSync, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load, type Measurement } from "./measure.ts";
import { startServerUnderTest } from "./server-under-test.ts";

/**
 * The cost of the request log (issue #10): session checks against `tessera start` with its
 * default log level (info: one line per request) next to `logLevel=warn` (no request lines), in the
 * same run, on the same data, in alternating rounds so that drift in the machine's load hits both
 * alike. The default server's standard output goes to a file, as it would under a supervisor that
 * keeps the log; the size written is reported so the line cost per request can be checked.
 */
export interface LogLevelComparison {
  readonly measurements: Measurement[];
  readonly logBytesPerRequest: number | null;
  /** Per concurrency, the medians over the rounds: default against warn. */
  readonly medians: {
    readonly concurrency: number;
    readonly defaultRps: number;
    readonly warnRps: number;
    readonly defaultCpuMicros: number;
    readonly warnCpuMicros: number;
  }[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export async function compareLogLevels(options: {
  readonly backend: string;
  readonly data: string[];
  readonly sessionUrl: (base: string) => string;
  readonly headers: Record<string, string>;
  readonly connections: readonly number[];
  readonly durationSeconds: number;
  readonly rounds: number;
}): Promise<LogLevelComparison> {
  const measurements: Measurement[] = [];
  const logDir = mkdtempSync(join(tmpdir(), "tessera-bench-log-"));
  let logBytes = 0;
  let loggedRequests = 0;
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      for (const level of ["default (info)", "warn"] as const) {
        const logFile = join(logDir, `round-${round}.log`);
        const out = level === "warn" ? "ignore" : openSync(logFile, "w");
        // undefined removes TESSERA_LOG_LEVEL: the default is what `tessera start` runs with.
        const server = await startServerUnderTest(options.data, {
          env: { TESSERA_LOG_LEVEL: level === "warn" ? "warn" : undefined },
          stdout: out,
        });
        if (typeof out === "number") closeSync(out);
        await load(
          { workload: "warm-up", backend: options.backend, implementation: level },
          {
            url: options.sessionUrl(server.url),
            headers: options.headers,
            connections: 16,
            durationSeconds: 2,
          },
        );
        for (const connections of options.connections) {
          const m = await load(
            { workload: "session check, log level", backend: options.backend, implementation: level },
            {
              url: options.sessionUrl(server.url),
              headers: options.headers,
              connections,
              durationSeconds: options.durationSeconds,
              serverCpuSeconds: () => server.cpuSeconds(),
            },
          );
          measurements.push(m);
          if (level !== "warn") loggedRequests += m.requestsPerSecond * options.durationSeconds;
        }
        await server.stop();
        if (level !== "warn") logBytes += statSync(logFile).size;
      }
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
  const of = (level: string, connections: number) =>
    measurements.filter((m) => m.implementation === level && m.concurrency === connections);
  return {
    measurements,
    logBytesPerRequest: loggedRequests === 0 ? null : Math.round(logBytes / loggedRequests),
    medians: options.connections.map((concurrency) => ({
      concurrency,
      defaultRps: median(of("default (info)", concurrency).map((m) => m.requestsPerSecond)),
      warnRps: median(of("warn", concurrency).map((m) => m.requestsPerSecond)),
      defaultCpuMicros: median(
        of("default (info)", concurrency).map((m) => m.serverCpuMicrosPerRequest ?? 0),
      ),
      warnCpuMicros: median(of("warn", concurrency).map((m) => m.serverCpuMicrosPerRequest ?? 0)),
    })),
  };
}
