import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const cli = new URL("../../packages/server/bin/tessera.js", import.meta.url).pathname;
/**
 * The V8 flags `npm start` runs the server with (package.json): a 4 MiB young generation; plus any
 * in BENCH_SERVER_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under the
 * load (Node refuses --cpu-prof in NODE_OPTIONS).
 */
const serverFlags = [
  "--max-semi-space-size=4",
  ...(process.env.BENCH_SERVER_FLAGS ?? "").split(" ").filter((flag) => flag !== ""),
];

/** A real `tessera start` in its own process, so the load generator does not share its event loop. */
export interface ServerUnderTest {
  readonly url: string;
  readonly child: ChildProcess;
  rssMiB(): number;
  /** CPU seconds used by the server process so far, all threads (/proc/<pid>/stat). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const clockTicksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** CPU seconds a process has used so far, all threads (/proc/<pid>/stat). */
export function cpuSecondsOf(pid: number): number {
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address !== null ? address.port : 0;
}

export function tessera(args: string[]): string {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    env: { ...process.env, TESSERA_LOG_LEVEL: "warn" },
  });
  if (result.status !== 0) throw new Error(`tessera ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

/**
 * `env` adds to or (with undefined) removes from the server's environment; `stdout` is where its log
 * goes (discarded unless given).
 */
export async function startServerUnderTest(
  data: string[],
  options: { env?: Record<string, string | undefined>; stdout?: "ignore" | number } = {},
): Promise<ServerUnderTest> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    TESSERA_LOG_LEVEL: "warn",
    // The load generator is one client of one tenant: the /v1/auth limits would measure themselves.
    TESSERA_RATE_LIMIT_AUTH_PER_SOURCE: "1000000",
    TESSERA_RATE_LIMIT_AUTH_PER_TENANT: "10000000",
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = spawn(process.execPath, [...serverFlags, cli, "start", "--port", String(port), ...data], {
    stdio: ["ignore", options.stdout ?? "ignore", "inherit"],
    env,
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error("the server exited during start");
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      if (i > 200) throw new Error("the server did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    child,
    rssMiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
    },
    cpuSeconds: () => cpuSecondsOf(child.pid ?? 0),
    async stop() {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}
