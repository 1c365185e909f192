import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { until } from "./helpers/link.ts";

const root = new URL("../../../", import.meta.url).pathname;

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as { port: number };
  await new Promise((closed) => probe.close(closed));
  return port;
}

const answers = (url: string) =>
  fetch(url).then(
    (response) => response.ok,
    () => false,
  );

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface NpmStart {
  readonly npm: ChildProcess;
  readonly health: string;
  /** The server process itself, as its claim on the data directory names it. */
  readonly server: number;
  cleanUp(): void;
}

async function npmStart(): Promise<NpmStart> {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-npm-start-"));
  const port = await freePort();
  const npm = spawn("npm", ["start"], {
    cwd: root,
    env: { ...process.env, TESSERA_DATA_DIR: dataDir, TESSERA_PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  npm.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const health = `http://127.0.0.1:${port}/health`;
  const cleanUp = (server?: number) => {
    npm.kill("SIGKILL");
    if (server !== undefined && alive(server)) process.kill(server, "SIGKILL");
  };
  try {
    await until(() => answers(health), `npm start answering on ${health}: ${stderr}`, 30_000);
    const server = Number(readFileSync(join(dataDir, "server.pid"), "utf8"));
    assert.notEqual(server, npm.pid, "npm runs the server as a process of its own");
    return { npm, health, server, cleanUp: () => cleanUp(server) };
  } catch (error) {
    cleanUp();
    throw error;
  }
}

async function assertStopped({ health, server }: NpmStart): Promise<void> {
  await until(async () => !(await answers(health)), "the port to close");
  await until(() => !alive(server), `server process ${server} to exit`);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} to the npm process of \`npm start\` stops the server: the port closes and no process remains`, {
    timeout: 60_000,
  }, async () => {
    const started = await npmStart();
    try {
      const exited = once(started.npm, "exit");
      started.npm.kill(signal);
      await exited;
      await assertStopped(started);
    } finally {
      started.cleanUp();
    }
  });
}

test("a server whose npm is killed outright (SIGKILL, no signal to forward) stops by itself", {
  timeout: 60_000,
}, async () => {
  const started = await npmStart();
  try {
    started.npm.kill("SIGKILL");
    await assertStopped(started);
  } finally {
    started.cleanUp();
  }
});
