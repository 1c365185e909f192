import { spawn } from "node:child_process";
import { recordObservedCode } from "@tessera/codes/coverage";

const cli = new URL("../../bin/tessera.js", import.meta.url).pathname;

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `tessera` command line in a child process. When it prints the JSON envelope of a
 * failure, the code is recorded for the coverage report.
 */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; scenario: string; cwd?: string },
): Promise<CliResult> {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(options.input ?? "");
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const coded = /^\{"errorCode":(-?\d+)/.exec(stdout.trim());
  if (coded !== null) recordObservedCode("api", Number(coded[1]), options.scenario);
  return { status, stdout, stderr };
}
