import { spawn } from "node:child_process";

const driver = new URL("./pty-driver.py", import.meta.url).pathname;
const cli = new URL("../../bin/tessera.js", import.meta.url).pathname;

export interface PtyResult {
  /** Everything the terminal showed: the program's output and whatever the terminal echoed. */
  readonly output: string;
  readonly status: number;
  /** Answers never typed because their prompt did not appear. */
  readonly pending: number;
}

/**
 * Runs the real `tessera` binary on a pseudo-terminal (python3's pty module) and types each answer
 * once its prompt (a regular expression) has appeared, like a person at a keyboard.
 */
export async function runCliInPty(
  args: readonly string[],
  steps: readonly (readonly [prompt: string, typed: string])[],
  env: Record<string, string> = {},
): Promise<PtyResult> {
  const child = spawn("python3", [driver], { stdio: ["pipe", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stdin.end(JSON.stringify({ argv: [process.execPath, cli, ...args], env, steps, timeoutSeconds: 60 }));
  await new Promise((resolve) => child.on("close", resolve));
  return JSON.parse(stdout) as PtyResult;
}
