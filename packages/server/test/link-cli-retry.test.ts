import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { until } from "./helpers/link.ts";
import { runCli } from "./helpers/run-cli.ts";

/**
 * `tessera link connect` on a job queued for a retry (the Sandbox Bank's user_unavailable: 501,
 * then 205 for about 15 minutes later) says when it retries, that Ctrl-C leaves the job queued,
 * and how to follow it; after Ctrl-C the job is still there, not ended.
 */
const dataDir = mkdtempSync(join(tmpdir(), "tessera-link-cli-retry-"));
const env = { TESSERA_LINK_SANDBOX: "on" };
const cliPath = new URL("../bin/tessera.js", import.meta.url).pathname;
const cli = (args: string[]) =>
  runCli(["--data-dir", dataDir, ...args], { env, scenario: "link: cli retry" });

before(async () => {
  assert.equal((await cli(["tenant", "create", "acme"])).status, 0);
  assert.equal((await cli(["user", "create", "ann", "--tenant", "acme"])).status, 0);
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("a retry is announced with its time, the way out and the way to follow it; Ctrl-C leaves the job", async () => {
  const child = spawn(
    process.execPath,
    [
      cliPath,
      "--data-dir",
      dataDir,
      "link",
      "connect",
      "--tenant",
      "acme",
      "--user",
      "ann",
      "--site",
      "sandbox-bank",
    ],
    { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.resume();
  child.stdin.end("user_unavailable\nsandbox\n");
  const closed = once(child, "close");
  try {
    await until(() => stdout.includes("Ctrl-C"), "the retry notice", 20_000);
  } finally {
    child.kill("SIGINT");
    await closed;
  }
  const credential = /^credential (\S+), job (\S+)$/m.exec(stdout);
  assert.ok(credential, stdout);
  assert.match(
    stdout,
    /205 \w+ {2}(\S+Z)\n {2}the job will retry at \1; Ctrl-C stops watching and leaves the job queued/,
  );
  assert.match(
    stdout,
    new RegExp(`\\(follow it with \`tessera link jobs --tenant acme --credential ${credential[1]}\`\\)`),
  );
  const jobs = JSON.parse(
    (await cli(["link", "jobs", "--tenant", "acme", "--credential", credential[1] ?? "", "--json"])).stdout,
  ) as {
    id: string;
    code: number;
    finished: boolean;
  }[];
  assert.deepEqual(
    jobs.map((j) => [j.id, j.code, j.finished]),
    [[credential[2], 205, false]],
  );
});
