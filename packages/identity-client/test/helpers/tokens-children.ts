import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { IdentityStatusCode } from "../../src/index.ts";
import type { ProgramAt } from "./tokens-fixture.ts";

const childScript = fileURLToPath(new URL("./tokens-child.ts", import.meta.url));

export interface ChildAnswer {
  readonly status: IdentityStatusCode;
  readonly token?: string;
}

export interface ProgramProcess {
  readonly child: ChildProcess;
  /** Sends "go": the process asks for an access token once. */
  go(): void;
  /** What getAccessToken answered in the process. */
  readonly answer: Promise<ChildAnswer>;
}

/**
 * Starts `count` processes of the program on the shared store (tokens-child.ts) and resolves when
 * every one has initialised ("ready"), so that "go" reaches them all at about the same moment.
 * The caller kills them in `after` (they exit by themselves once they answered).
 */
export function startProgramProcesses(
  at: ProgramAt,
  storeDir: string,
  count: number,
): Promise<ProgramProcess[]> {
  return Promise.all(Array.from({ length: count }, () => startOne(at, storeDir)));
}

function startOne(at: ProgramAt, storeDir: string): Promise<ProgramProcess> {
  const child = spawn(process.execPath, [childScript], {
    env: {
      ...process.env,
      TOKENS_ISSUER: at.issuer,
      TOKENS_CLIENT_ID: at.app.clientId,
      TOKENS_STORE_DIR: storeDir,
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let resolveAnswer: (answer: ChildAnswer) => void = () => undefined;
  const answer = new Promise<ChildAnswer>((resolve, reject) => {
    resolveAnswer = resolve;
    // A process that dies without answering fails the test instead of leaving it waiting.
    child.once("exit", (code) => reject(new Error(`a program process exited (${code}) without answering`)));
  });
  answer.catch(() => undefined);
  const go = () => child.stdin?.write("go\n");
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`a program process exited (${code}) before it was ready`)));
    lines.on("line", (line) => {
      if (line === "ready") resolve({ child, go, answer });
      else resolveAnswer(JSON.parse(line) as ChildAnswer);
    });
  });
}
