import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { watchSession } from "../src/events/session-events.ts";
import { withLock } from "../src/store/cross-process-lock.ts";
import { storeContext } from "./helpers/lock-events-context.ts";
import { mustOpen, observe, openStore } from "./helpers/store-fixtures.ts";

// Traps planted in the store directory (a directory, a fifo, a symlink to an endless device where a
// file should be) must fail closed with the store's codes, never hang or spin. Only this user can
// plant them (the directory is 0700), so they are broken states, not an attack from another user;
// but a hang of every process of the program would be the outcome, so they are bounded anyway.
const fifos: string[] = [];
after(() => {
  // A reader blocked on a fifo (the bug) would keep the test process alive: unblock it.
  for (const fifo of fifos)
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // nobody reads it: nothing to unblock
    }
});
const dir = () => mkdtempSync(join(tmpdir(), "tessera-review1-"));
const mkfifo = (path: string) => {
  execFileSync("mkfifo", ["-m", "600", path]);
  fifos.push(path);
};

test("a directory planted at the lock path: MutexCreationFailed within the timeout, no endless spin", {
  timeout: 15_000,
}, async () => {
  const lockPath = join(dir(), "store.lock");
  mkdirSync(lockPath);
  const started = performance.now();
  const result = observe(await withLock(lockPath, 300, async () => "ran"), "lock path is a directory");
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.status, IdentityStatusCode.MutexCreationFailed);
  assert.ok(performance.now() - started < 5_000);
});

test("a fifo planted at the lock path: MutexCreationFailed, the lock never blocks reading it", {
  timeout: 15_000,
}, async () => {
  const lockPath = join(dir(), "store.lock");
  mkfifo(lockPath);
  const result = observe(await withLock(lockPath, 300, async () => "ran"), "lock path is a fifo");
  assert.equal(!result.ok && result.status, IdentityStatusCode.MutexCreationFailed);
});

test("a symlink to /dev/zero planted at the lock path: MutexCreationFailed, nothing endless is read", {
  timeout: 15_000,
}, async () => {
  const lockPath = join(dir(), "store.lock");
  execFileSync("ln", ["-s", "/dev/zero", lockPath]);
  const result = observe(await withLock(lockPath, 300, async () => "ran"), "lock path links to a device");
  assert.equal(!result.ok && result.status, IdentityStatusCode.MutexCreationFailed);
});

test("a fifo planted at the store file: read is ReadDataFromSharedMemoryFailed, not a hang", {
  timeout: 15_000,
}, async () => {
  const root = dir();
  const store = await mustOpen(root);
  mkfifo(store.path);
  const result = observe(await store.read(), "store file is a fifo");
  assert.equal(!result.ok && result.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed);
});

test("a fifo planted at the key file: opening the store is ReadDataFromSharedMemoryFailed, not a hang", {
  timeout: 15_000,
}, async () => {
  const root = dir();
  mkfifo(join(root, "store.key"));
  const result = observe(await openStore(root), "key file is a fifo");
  assert.equal(!result.ok && result.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed);
});

test("the store directory removed before the watch starts: a warning, no unhandled rejection", {
  timeout: 15_000,
}, async () => {
  const root = dir();
  const ctx = await storeContext(root);
  // Whichever comes first: the unhandled rejection that would crash a host program, or a warning.
  const outcome = new Promise<string>((resolve) => {
    process.once("unhandledRejection", () => resolve("unhandled rejection"));
    process.once("warning", (warning) => resolve(`warning: ${warning.message}`));
  });
  const stop = watchSession(ctx, () => undefined);
  rmSync(root, { recursive: true, force: true });
  const seen = await outcome;
  stop();
  assert.match(seen, /^warning: the session events cannot be watched/);
});
