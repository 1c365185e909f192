import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, link, open, unlink, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { IdentityStatusCode } from "@tessera/codes";
import { processAlive, processStartTime } from "./process-identity.ts";
import { type StoreResult, stored, storeFailure } from "./store-result.ts";

/**
 * The store's cross-process lock: a lock file holding its holder's pid, start time and a random
 * nonce, `{"pid":…,"start":…,"nonce":…}`.
 *
 * Taking it: the full content is written to a temporary file which is then link()ed to the lock
 * path. link() fails with EEXIST when the path exists, so taking is atomic AND the lock file never
 * exists without its whole content (no half-written lock that looks like garbage).
 *
 * A taken lock whose holder is dead (no such pid, or a zombie) or whose pid now names another process (the start
 * time differs, process-identity.ts) is stale and is broken at once, not after a long timeout. A live
 * holder is waited for, polling with a short backoff, up to `timeoutMs` (then MutexCreationFailed).
 * A lock that cannot be created at all (EACCES, EROFS, ENOTDIR, ENOENT, a filesystem without hard
 * links) is MutexCreationFailed at once. Release removes the lock only if it is still the caller's.
 *
 * Why breaking is race-safe. Several waiters may find the same stale lock; a careless breaker that
 * read it earlier could otherwise delete the NEW lock a faster waiter took meanwhile (ABA). So:
 * 1. A lock file's content never changes while it exists (it is only ever created by link() of a
 *    complete file) and is unique (the nonce). Its digest names that one lock instance.
 * 2. Only two parties ever remove a lock instance: its holder on release (after checking the
 *    content is its own), and whoever holds the BREAK TOKEN `<lock>.break-<digest>` for that
 *    instance. The break token is itself taken with link(), so at most one live process holds it.
 * 3. The token holder re-reads the lock UNDER THE TOKEN and removes it only if the content is still
 *    that instance. Between that check and the unlink nobody else can remove the instance: its
 *    holder is dead (that is why it is being broken), and the token is ours. So what is unlinked is
 *    exactly the stale instance, and a late breaker finds another content and removes nothing.
 * 4. A break token whose own holder died mid-break is stale in the same sense and is broken the
 *    same way (recursively, one level per crashed breaker), so a crash never blocks the lock.
 * A dead process stays dead and a (pid, start time) pair is never reused, so "stale" never turns
 * into "alive" again. Limits: all processes sharing a store must see the same pids (one machine,
 * one pid namespace); on Windows the pid alone is compared (process-identity.ts). A crash between
 * writing the temporary file and removing it leaves a small `.tmp` file behind, never a lock.
 */
export async function withLock<T>(
  lockPath: string,
  timeoutMs: number,
  critical: () => Promise<T>,
): Promise<StoreResult<T>> {
  const own = lockContent();
  const taken = await acquire(lockPath, own, timeoutMs);
  if (!taken.ok) return taken;
  try {
    return stored(await critical());
  } finally {
    await removeIfStill(lockPath, own);
  }
}

async function acquire(lockPath: string, own: Buffer, timeoutMs: number): Promise<StoreResult<undefined>> {
  // A timeout that is no duration (NaN, negative) fails closed: one try, no waiting.
  const deadline = performance.now() + (timeoutMs > 0 ? timeoutMs : 0);
  for (let attempt = 0; ; attempt++) {
    const created = await createWith(lockPath, own);
    if (created === "created") return stored(undefined);
    if (created !== "exists")
      return storeFailure(
        IdentityStatusCode.MutexCreationFailed,
        `the lock ${lockPath} cannot be created (${created})`,
      );
    const holder = await readLock(lockPath);
    if (holder === "unusable")
      return storeFailure(
        IdentityStatusCode.MutexCreationFailed,
        `the lock ${lockPath} is not a lock file (a directory, fifo, symlink or oversized file is in its place)`,
      );
    // Released between our link() and our read: try again now (within the deadline).
    if (holder === undefined && performance.now() < deadline) continue;
    if (holder === undefined)
      return storeFailure(IdentityStatusCode.MutexCreationFailed, `the lock ${lockPath} stayed taken`);
    if (isStale(holder) && (await breakStale(lockPath, holder))) continue;
    const remaining = deadline - performance.now();
    if (remaining <= 0)
      return storeFailure(IdentityStatusCode.MutexCreationFailed, `the lock ${lockPath} stayed taken`);
    await delay(Math.min(remaining, backoff(attempt)));
  }
}

/** 1, 2, 4, 8, 16 then 20 ms, with jitter so that waiters do not wake in step. */
const backoff = (attempt: number) => Math.min(20, 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);

/** This process's start time never changes: read once (it is on every lock this process takes). */
let ownStart: string | null | undefined;

function lockContent(): Buffer {
  ownStart ??= processStartTime(process.pid) ?? null;
  return Buffer.from(
    JSON.stringify({ pid: process.pid, start: ownStart, nonce: randomBytes(16).toString("hex") }),
  );
}

/** Creates `path` holding `content` (temporary file, then link()), or says why not. */
async function createWith(path: string, content: Buffer): Promise<"created" | "exists" | string> {
  const temporary = `${path}.${randomBytes(8).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, content, { mode: 0o600, flag: "wx" });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? "unknown error";
  }
  try {
    await link(temporary, path);
    return "created";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "EEXIST" ? "exists" : (code ?? "unknown error");
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** A lock record is ~120 bytes; anything much larger is no lock record. */
const MAX_LOCK_BYTES = 4096;
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * The lock file's bytes; undefined when it does not exist (any longer); "unusable" when something
 * else is in its place. A directory there made link() answer EEXIST forever while it could not be
 * read (an endless spin); a fifo blocked the read forever; a symlink to /dev/zero read without
 * end. Opened without following symlinks and without blocking, only a small regular file is a lock.
 */
async function readLock(path: string): Promise<Buffer | "unusable" | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : "unusable";
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > MAX_LOCK_BYTES) return "unusable";
    return await handle.readFile();
  } catch {
    return "unusable";
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Whether the holder recorded in `content` is gone. Content that is not a lock record at all cannot
 * name a live holder (no live process writes such a file), so it is stale too.
 */
function isStale(content: Buffer): boolean {
  let record: { pid?: unknown; start?: unknown };
  try {
    record = JSON.parse(content.toString("utf8")) as typeof record;
  } catch {
    return true;
  }
  const { pid, start } = record ?? {};
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return true;
  if (!processAlive(pid)) return true;
  if (typeof start !== "string") return false;
  const now = processStartTime(pid);
  // Unknown now (the process just ended, or is hidden): judged alive, and looked at again next poll.
  return now !== undefined && now !== start;
}

/**
 * Removes the stale lock instance `stale` from `path` under its break token (the argument above).
 * True when the caller should try to take the lock again at once (the stale instance is gone, here
 * or elsewhere); false when another live process is breaking it or the token cannot be created
 * (the caller then waits as for a live holder).
 */
async function breakStale(path: string, stale: Buffer): Promise<boolean> {
  const digest = createHash("sha256").update(stale).digest("hex").slice(0, 32);
  const token = `${path}.break-${digest}`;
  const own = lockContent();
  const created = await createWith(token, own);
  if (created === "exists") {
    const breaker = await readLock(token);
    if (breaker instanceof Buffer && isStale(breaker)) await breakStale(token, breaker);
    return false;
  }
  if (created !== "created") return false;
  try {
    const current = await readLock(path);
    // Another content: somebody else removed the stale instance already; never touch the new one.
    if (current === "unusable") return false;
    if (current === undefined || !current.equals(stale)) return true;
    await unlink(path);
    return true;
  } catch {
    return false;
  } finally {
    await unlink(token).catch(() => undefined);
  }
}

/** Removes `path` if it still holds `content`: a release never removes somebody else's lock. */
async function removeIfStill(path: string, content: Buffer): Promise<void> {
  const current = await readLock(path);
  if (current instanceof Buffer && current.equals(content)) await unlink(path).catch(() => undefined);
}
