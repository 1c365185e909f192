import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const cli = new URL("../../bin/tessera.js", import.meta.url).pathname;

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** The data directory the process was started with. */
  readonly dataDir: string;
  /** Every structured log line the server printed so far. */
  readonly logs: Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `tessera start` as a real process on a free port and waits for its "listening" line.
 * Fails (instead of hanging) when the process exits first.
 */
export async function startServerProcess(
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-process-"));
  const child = spawn(process.execPath, [cli, "start", "--port", "0", "--data-dir", dataDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const entry = parseLine(line);
      logs.push(entry);
      if (entry.msg === "tessera listening") resolve(String(entry.url));
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  return {
    child,
    url,
    dataDir,
    logs,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      // "close", not "exit": the log lines written last (the "stopped" line) are read by then.
      const exited = once(child, "close");
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}

function parseLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { msg: line };
  }
}
