import { createHash, randomBytes } from "node:crypto";
import { watch } from "node:fs";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { IdentityStatusCode } from "@tessera/codes";
import type { SessionData } from "../session/session-data.ts";
import { withLock } from "./cross-process-lock.ts";
import { defaultStoreDirectory } from "./profile-directory.ts";
import { open, seal } from "./sealed-record.ts";
import type { SessionStore, StoreChange, StoreOptions } from "./session-store.ts";
import { type StoreResult, stored, storeFailure } from "./store-result.ts";

/**
 * PROVISIONAL (foundation): the store on a sealed file with a key file beside it. The store issue's
 * store part hardens it (directory permissions, the OS credential store, every failure code
 * provoked for real) keeping `openSessionStore`'s signature.
 */
export async function openSessionStore(options: StoreOptions): Promise<StoreResult<SessionStore>> {
  const dir = options.storeDir ?? defaultStoreDirectory();
  if (dir === undefined)
    return storeFailure(IdentityStatusCode.UserProfileError, "no user profile directory");
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch {
    return storeFailure(IdentityStatusCode.UserProfileError, `the directory ${dir} cannot be created`);
  }
  const name = storeName(options.issuer, options.clientId);
  const path = join(dir, `${name}.session`);
  const keyPath = join(dir, "store.key");
  let key: Buffer;
  try {
    key = await readFile(keyPath);
  } catch {
    key = randomBytes(32);
    try {
      await writeFile(keyPath, key, { mode: 0o600, flag: "wx" });
    } catch {
      key = await readFile(keyPath).catch(() => key);
    }
  }
  const associated = `${options.issuer}\n${options.clientId}`;
  const read = async (): Promise<StoreResult<SessionData | undefined>> => {
    let sealed: Buffer;
    try {
      sealed = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return stored(undefined);
      return storeFailure(IdentityStatusCode.ReadDataFromSharedMemoryFailed, `${path} cannot be read`);
    }
    const plain = open(key, associated, sealed);
    if (plain === undefined) {
      await unlink(path).catch(() => undefined);
      return storeFailure(IdentityStatusCode.InvalidSharedMemoryData, `${path} failed its integrity check`);
    }
    return stored(JSON.parse(plain) as SessionData);
  };
  const write = async (data: SessionData | null) => {
    if (data === null) {
      await unlink(path).catch(() => undefined);
      return;
    }
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
    await writeFile(temporary, seal(key, associated, JSON.stringify(data)), { mode: 0o600 });
    await rename(temporary, path);
  };
  const store: SessionStore = {
    path,
    read,
    async update<T>(change: (current: SessionData | undefined) => Promise<StoreChange<T>>) {
      const locked = await withLock(`${path}.lock`, options.lockTimeoutMs, async () => {
        const current = await read();
        if (!current.ok) return current;
        const { next, value } = await change(current.value);
        if (next !== "unchanged") await write(next);
        return stored(value);
      });
      return locked.ok ? locked.value : locked;
    },
    watch(listener) {
      const watcher = watch(dir, (_event, file) => {
        if (file === `${name}.session`) listener();
      });
      watcher.unref();
      return () => watcher.close();
    },
  };
  return stored(store);
}

/** The file name for one issuer and client id: a digest, so that neither shows in a directory listing. */
export const storeName = (issuer: string, clientId: string) =>
  createHash("sha256").update(`${issuer}\n${clientId}`).digest("hex").slice(0, 32);
