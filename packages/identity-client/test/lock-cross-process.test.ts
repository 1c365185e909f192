import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { IdentityStatusCode } from "@tessera/codes";
import { withLock } from "../src/store/cross-process-lock.ts";
import { processStartTime } from "../src/store/process-identity.ts";
import { observe } from "./helpers/observe.ts";

const childScript = new URL("./helpers/lock-child.ts", import.meta.url).pathname;
// Longer than any test may run: a waiter that waited for a timeout would be stopped by the runner.
const forever = 2 ** 31 - 1;
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

const directory = () => mkdtempSync(join(tmpdir(), "tessera-lock-"));

function spawnChild(...args: string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, [childScript, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return {
    child,
    lines: createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator](),
  };
}

async function holder(lockPath: string): Promise<ChildProcess> {
  const { child, lines } = spawnChild("hold", lockPath);
  assert.equal((await lines.next()).value, "holding");
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

test("a holder SIGKILLed while holding: the next taker gets the lock at once, not after the timeout", async () => {
  const lockPath = join(directory(), "store.lock");
  const child = await holder(lockPath);
  const content = JSON.parse(readFileSync(lockPath, "utf8")) as { pid: number; start: string };
  assert.equal(content.pid, child.pid);
  assert.equal(content.start, processStartTime(child.pid ?? 0));
  await kill(child);
  // The dead holder's lock is still there: only its recognised death lets the next taker in.
  assert.equal(JSON.parse(readFileSync(lockPath, "utf8")).pid, child.pid);
  const taken = await withLock(lockPath, forever, async () => JSON.parse(readFileSync(lockPath, "utf8")).pid);
  assert.deepEqual(taken, { ok: true, value: process.pid });
  assert.deepEqual(
    readdirSync(join(lockPath, "..")),
    [],
    "the lock, its break token and temporary files are gone",
  );
});

test("a holder killed but not reaped (a zombie: its parent never waits) is dead: the lock is taken at once", async () => {
  const lockPath = join(directory(), "store.lock");
  // sh starts the holder in the background and becomes `sleep`, which never reaps it.
  const parent = spawn(
    "sh",
    ["-c", `"${process.execPath}" "${childScript}" hold "${lockPath}" & exec sleep 100000`],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.add(parent);
  try {
    const lines = createInterface({ input: parent.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, "holding");
    const { pid } = JSON.parse(readFileSync(lockPath, "utf8")) as { pid: number };
    process.kill(pid, "SIGKILL");
    // Wait for the condition (the kernel marks it a zombie), never for time.
    while (!readFileSync(`/proc/${pid}/stat`, "latin1").includes(") Z ")) await delay(5);
    assert.deepEqual(await withLock(lockPath, forever, async () => "inside"), { ok: true, value: "inside" });
  } finally {
    await kill(parent);
  }
});

test("a timeout that is no duration (NaN, negative, zero) fails closed on a taken lock and never hangs", async () => {
  const lockPath = join(directory(), "store.lock");
  const child = await holder(lockPath);
  try {
    for (const timeout of [Number.NaN, -1, -(2 ** 53), 0]) {
      const result = observe(
        await withLock(lockPath, timeout, async () => "inside"),
        "lock timeout not a duration",
      );
      assert.equal(!result.ok && result.status, IdentityStatusCode.MutexCreationFailed, String(timeout));
    }
  } finally {
    await kill(child);
  }
  assert.deepEqual(await withLock(lockPath, Number.NaN, async () => "inside"), { ok: true, value: "inside" });
});

test("a pid reused by another process (a live pid with another start time) is a stale lock", async () => {
  const dir = directory();
  const lockPath = join(dir, "store.lock");
  const live = await holder(join(dir, "unrelated.lock"));
  const pid = live.pid ?? 0;
  try {
    const start = processStartTime(pid);
    assert.ok(start !== undefined, "Linux gives a start time");
    // Control: the same live pid with its true start time is a live holder and is waited for.
    writeFileSync(lockPath, JSON.stringify({ pid, start, nonce: "a" }));
    const waited = observe(
      await withLock(lockPath, 100, async () => "inside"),
      "lock held by a live process",
    );
    assert.equal(waited.ok, false);
    assert.equal(!waited.ok && waited.status, IdentityStatusCode.MutexCreationFailed);
    // The same pid with a start time that is not this process's: its recorded holder is gone.
    writeFileSync(lockPath, JSON.stringify({ pid, start: `${start}0`, nonce: "b" }));
    assert.deepEqual(await withLock(lockPath, forever, async () => "inside"), { ok: true, value: "inside" });
    // A lock file that is no lock record at all cannot name a live holder either.
    writeFileSync(lockPath, "garbage");
    assert.deepEqual(await withLock(lockPath, forever, async () => "inside"), { ok: true, value: "inside" });
  } finally {
    await kill(live);
  }
});

test("a live holder past the timeout: MutexCreationFailed, and the holder's lock stays", async () => {
  const lockPath = join(directory(), "store.lock");
  const child = await holder(lockPath);
  try {
    const before = readFileSync(lockPath);
    const result = observe(await withLock(lockPath, 200, async () => "inside"), "lock held past the timeout");
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.status, IdentityStatusCode.MutexCreationFailed);
    assert.match((!result.ok && result.message) || "", /stayed taken/);
    assert.deepEqual(readFileSync(lockPath), before);
  } finally {
    await kill(child);
  }
});

test("a lock that cannot be created at all is MutexCreationFailed at once", async () => {
  const dir = directory();
  writeFileSync(join(dir, "a-file"), "");
  for (const [lockPath, scenario] of [
    [join(dir, "a-file", "store.lock"), "lock directory is a file"],
    [join(dir, "missing", "store.lock"), "lock directory missing"],
  ] as const) {
    let ran = false;
    const result = observe(
      await withLock(lockPath, forever, async () => {
        ran = true;
      }),
      scenario,
    );
    assert.equal(ran, false);
    assert.equal(!result.ok && result.status, IdentityStatusCode.MutexCreationFailed);
    assert.match((!result.ok && result.message) || "", /cannot be created \((ENOTDIR|ENOENT)\)/);
  }
});

test("release never removes a lock that is no longer the caller's", async () => {
  const lockPath = join(directory(), "store.lock");
  const foreign = JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), nonce: "other" });
  await withLock(lockPath, forever, async () => writeFileSync(lockPath, foreign));
  assert.equal(readFileSync(lockPath, "utf8"), foreign);
});

test("20 processes x 50 increments under the lock, starting on a stale lock: exactly 1000", async () => {
  const dir = directory();
  const lockPath = join(dir, "store.lock");
  const counterPath = join(dir, "counter");
  writeFileSync(counterPath, "0");
  // Every process finds the same stale lock first: breaking it must let exactly one in.
  const dead = await holder(lockPath);
  await kill(dead);
  const runs = Array.from({ length: 20 }, () => spawnChild("count", lockPath, counterPath, "50"));
  const outcomes = await Promise.all(
    runs.map(async ({ child, lines }) => {
      const [line, [code]] = await Promise.all([lines.next(), once(child, "exit")]);
      return { line: line.value, code };
    }),
  );
  assert.deepEqual(
    outcomes,
    runs.map(() => ({ line: "done", code: 0 })),
  );
  assert.equal(readFileSync(counterPath, "utf8"), "1000");
  assert.deepEqual(readdirSync(dir).sort(), ["counter"]);
});
