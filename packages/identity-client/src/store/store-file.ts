import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, link, lstat, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { IdentityStatusCode } from "@tessera/codes";
import { type StoreResult, stored, storeFailure } from "./store-result.ts";

/**
 * The store's files on disk, with one identity code per way they fail:
 * - MemoryMappedFileCreationFailed: a file cannot be created in the directory (read-only, no space
 *   for a new entry).
 * - WriteDataIntoSharedMemoryFailed: it was created but its content cannot be written, synced or
 *   moved into place (a full disk, a file-size limit). The old file stays as it was.
 * - ReadDataFromSharedMemoryFailed: it exists but cannot be read (no permission, not a file).
 *
 * Files are never written in place: a new 0600 file is written, synced and renamed over the old
 * one, so readers (which take no lock) see the old or the new content, never half of either.
 * O_NOFOLLOW: a symlink planted at a store path is not followed to somewhere else. O_NONBLOCK on
 * reads: a fifo planted at a store path would otherwise block the open until some writer comes
 * (every process of the program hung); opened non-blocking it is refused as "not a file".
 */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

export interface FileContent {
  readonly bytes: Buffer;
  /** Which file was read (device and inode), so that discarding it never deletes a newer one. */
  readonly identity: string;
}

export async function readStoreFile(path: string): Promise<StoreResult<FileContent | undefined>> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return stored(undefined);
    return readFailure(path, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      return storeFailure(IdentityStatusCode.ReadDataFromSharedMemoryFailed, `${path} is not a file`);
    return stored({ bytes: await handle.readFile(), identity: `${stats.dev}:${stats.ino}` });
  } catch (error) {
    return readFailure(path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Replaces `path` atomically with `bytes` (mode 0600); `exclusive` links instead: never clobbers. */
export async function writeStoreFile(
  path: string,
  bytes: Buffer,
  options: { exclusive?: boolean } = {},
): Promise<StoreResult<"written" | "exists">> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  let handle: FileHandle;
  try {
    handle = await open(temporary, CREATE, 0o600);
  } catch (error) {
    return storeFailure(
      IdentityStatusCode.MemoryMappedFileCreationFailed,
      `${path} cannot be created in its directory (${codeOf(error)})`,
    );
  }
  try {
    await handle.chmod(0o600);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    if (options.exclusive === true) {
      const linked = await linkNoClobber(temporary, path);
      await unlink(temporary).catch(() => undefined);
      if (linked.ok && linked.value === "exists") return linked;
    } else await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    return storeFailure(
      IdentityStatusCode.WriteDataIntoSharedMemoryFailed,
      `${path} cannot be written (${codeOf(error)})`,
    );
  }
  await syncDirectory(dirname(path));
  return stored("written");
}

/** Checks that the directory lets the store create its file, before anything depends on it. */
export async function probeCreation(path: string): Promise<StoreResult<undefined>> {
  const probe = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.probe`;
  try {
    await (await open(probe, CREATE, 0o600)).close();
  } catch (error) {
    return storeFailure(
      IdentityStatusCode.MemoryMappedFileCreationFailed,
      `${path} cannot be created in its directory (${codeOf(error)})`,
    );
  }
  await unlink(probe).catch(() => undefined);
  return stored(undefined);
}

/** Deletes `path` if it is still the file that was read (a newer one written meanwhile stays). */
export async function discardStoreFile(path: string, identity: string): Promise<void> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats !== undefined && `${stats.dev}:${stats.ino}` === identity)
    await unlink(path).catch(() => undefined);
}

async function linkNoClobber(from: string, to: string): Promise<StoreResult<"written" | "exists">> {
  try {
    await link(from, to);
    return stored("written");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return stored("exists");
    throw error;
  }
}

/** The rename is durable only once the directory entry is synced; not possible on Windows. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? "error";

const readFailure = (path: string, error: unknown) =>
  storeFailure<never>(
    IdentityStatusCode.ReadDataFromSharedMemoryFailed,
    `${path} cannot be read (${codeOf(error)})`,
  );
