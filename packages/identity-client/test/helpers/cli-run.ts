import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { recordObservedCode } from "@tessera/codes/coverage";

const bin = new URL("../../bin/tessera-login.js", import.meta.url).pathname;
const run = promisify(execFile);

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliAnswer {
  readonly status: number;
  readonly statusName: string;
  readonly message: string | null;
  readonly value: unknown;
}

/**
 * The environment of a tessera-login child: the test's own (TESSERA_CODE_COVERAGE_DIR,
 * XDG_STATE_HOME) without any issuer, client or credential the shell may have set.
 */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of [
    "TESSERA_ISSUER",
    "TESSERA_CLIENT_ID",
    "TESSERA_PERSONAL_ACCESS_TOKEN",
    "TESSERA_CLIENT_SECRET",
    "BROWSER",
  ])
    delete base[name];
  return { ...base, ...env };
}

/** Runs the real bin/tessera-login.js to its end; resolves with its exit code and output. */
export async function tesseraLogin(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: cliEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** `--json` output parsed, its identity code recorded for the coverage gate under `scenario`. */
export function answerOf(result: CliRun, scenario: string): CliAnswer {
  const answer = JSON.parse(result.stdout) as CliAnswer;
  recordObservedCode("identity", answer.status, scenario);
  return answer;
}

/** A tessera-login child left running (signin), its output lines awaitable. */
export const startTesseraLogin = (args: readonly string[], env: Record<string, string>) =>
  startChild(bin, args, env);

/**
 * A Node child on `file` (a .ts or .js file) left running, with its stdout and stderr lines
 * awaitable: tests wait for a line, never for time.
 */
export function startChild(file: string, args: readonly string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [file, ...args], {
    env: cliEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiting = new Set<() => void>();
  for (const stream of ["stdout", "stderr"] as const)
    createInterface({ input: child[stream] as NodeJS.ReadableStream }).on("line", (line) => {
      lines[stream].push(line);
      for (const wake of waiting) wake();
    });
  const exited = new Promise<number>((resolve) => child.once("close", (code) => resolve(code ?? -1)));
  /** The first line of `stream` matching `pattern`; rejects when the child ends without one. */
  const line = (stream: "stdout" | "stderr", pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        for (const text of lines[stream]) {
          const match = pattern.exec(text);
          if (match === null) continue;
          waiting.delete(check);
          resolve(match);
          return;
        }
      };
      waiting.add(check);
      check();
      void exited.then(() => {
        check();
        reject(
          new Error(`the child ended without ${pattern}: ${[...lines.stdout, ...lines.stderr].join("\n")}`),
        );
      });
    });
  return {
    child,
    stdoutLine: (pattern: RegExp) => line("stdout", pattern),
    stderrLine: (pattern: RegExp) => line("stderr", pattern),
    async result(): Promise<CliRun> {
      const code = await exited;
      return { code, stdout: lines.stdout.map((l) => `${l}\n`).join(""), stderr: lines.stderr.join("\n") };
    },
    stop(): void {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
