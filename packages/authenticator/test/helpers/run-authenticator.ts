import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordObservedCode } from "@tessera/codes/coverage";

export const bin = new URL("../../bin/tessera-authenticator.js", import.meta.url).pathname;
const ptyDriver = new URL("../../../server/test/helpers/pty-driver.py", import.meta.url).pathname;

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh state directory path (not created: the app creates it 0700). */
export const freshStateDir = () => join(mkdtempSync(join(tmpdir(), "tessera-authenticator-")), "state");

/**
 * The server's refusals the CLI reports end with `[ErrorName code]`: recorded for the coverage
 * report like server.api() does for HTTP answers.
 */
function record(stderr: string, scenario: string): void {
  for (const match of stderr.matchAll(/\[[A-Za-z]+ (\d+)\]$/gm))
    recordObservedCode("api", Number(match[1]), scenario);
}

/** Starts the real tessera-authenticator command (stdin a pipe: not a terminal). */
export function startAuthenticator(args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], { stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs it to the end. */
export async function runAuthenticator(args: readonly string[], scenario: string): Promise<RunResult> {
  const child = startAuthenticator(args);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdin.end();
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  record(stderr, scenario);
  return { status, stdout, stderr };
}

/** Runs it on a pseudo-terminal, typing each answer once its prompt has appeared. */
export async function runAuthenticatorInPty(
  args: readonly string[],
  steps: readonly (readonly [prompt: string, typed: string])[],
  scenario: string,
): Promise<{ output: string; status: number; pending: number }> {
  const child = spawn("python3", [ptyDriver], { stdio: ["pipe", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stdin.end(
    JSON.stringify({ argv: [process.execPath, bin, ...args], env: {}, steps, timeoutSeconds: 60 }),
  );
  await new Promise((resolve) => child.on("close", resolve));
  const result = JSON.parse(stdout) as { output: string; status: number; pending: number };
  record(result.output.replace(/\r/g, ""), scenario);
  return result;
}

/** Resolves with the output so far once `pattern` appears on the child's stdout. */
export function outputMatching(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (pattern.test(output)) {
        child.stdout.off("data", onData);
        resolve(output);
      }
    };
    child.stdout.on("data", onData);
    child.once("close", (status) => reject(new Error(`exited ${status} before ${pattern}: ${output}`)));
  });
}
