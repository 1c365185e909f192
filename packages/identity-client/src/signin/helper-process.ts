import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type HelperMessage, isHelperMessage, type PageKind, type ParentMessage } from "./helper-protocol.ts";

/**
 * The parent's side of the sign-in helper process. The helper's file sits beside this one: .ts
 * when running from the sources, .js in the packed package, so its path follows this module's.
 */
export const helperScript = fileURLToPath(
  new URL(`./redirect-helper.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url),
);

/** What the helper reports, or `stopped` when it went away (crashed, killed) without one. */
export type HelperEvent =
  | Exclude<HelperMessage, { type: "listening" }>
  | { type: "stopped"; message: string };

export interface RunningHelper {
  readonly port: number;
  send(message: ParentMessage): void;
  /** The next event; events are queued, so none is lost between calls. */
  next(): Promise<HelperEvent>;
  /**
   * Ends the helper: after an outcome it is let go (it exits once the page is sent), before one
   * (timeout, unusable redirect) it is killed.
   */
  stop(): void;
}

/** Starts the helper with `execPath` (a Node executable); a failure message when it cannot start. */
export function startHelper(execPath: string): Promise<RunningHelper | string> {
  if (!existsSync(helperScript)) return Promise.resolve(`the sign-in helper ${helperScript} is missing`);
  let child: ChildProcess;
  try {
    child = spawn(execPath, [helperScript], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "json",
    });
  } catch (error) {
    return Promise.resolve(`the sign-in helper cannot be started (${(error as Error).name})`);
  }
  const queue: HelperEvent[] = [];
  let waiting: ((event: HelperEvent) => void) | undefined;
  let exit = "";
  let answered = false;
  const push = (event: HelperEvent) => {
    if (waiting === undefined) queue.push(event);
    else {
      const resolve = waiting;
      waiting = undefined;
      resolve(event);
    }
  };
  return new Promise((resolve) => {
    let started = false;
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (!started)
        resolve(`the sign-in helper cannot be started with ${execPath} (${error.code ?? error.name})`);
      else push({ type: "stopped", message: `the sign-in helper failed (${error.code ?? error.name})` });
    });
    // Gone = exited (how) AND its IPC channel closed (after its last message was read: none is lost).
    let gone = 0;
    const stopped = () => {
      if (++gone < 2) return;
      if (!started) resolve(`the sign-in helper stopped before it listened (${exit})`);
      else push({ type: "stopped", message: `the sign-in helper stopped (${exit})` });
    };
    child.on("exit", (code, signal) => {
      exit = signal ?? `exit ${code}`;
      stopped();
    });
    child.on("disconnect", stopped);
    child.on("message", (message: unknown) => {
      if (!isHelperMessage(message)) return;
      if (message.type === "listening") {
        started = true;
        resolve({
          port: message.port,
          send: (m) => {
            if (m.type === "outcome") answered = true;
            if (child.connected) child.send(m);
          },
          next: () => {
            const event = queue.shift();
            return event === undefined ? new Promise((r) => (waiting = r)) : Promise.resolve(event);
          },
          stop: () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            if (!answered) child.kill("SIGKILL");
            else if (child.connected) child.disconnect();
          },
        });
      } else {
        // After an unusable redirect the helper shows its failure page and exits by itself.
        if (message.type === "unusable") answered = true;
        push(message);
      }
    });
  });
}

export type { PageKind };
