import { createHash } from "node:crypto";
import { watch } from "node:fs";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { IdentityStatusCode } from "@tessera/codes";
import type { SessionData } from "../session/session-data.ts";
import { withLock } from "./cross-process-lock.ts";
import { defaultStoreDirectory, prepareProfileDirectory } from "./profile-directory.ts";
import { open, parseRecord, seal } from "./sealed-record.ts";
import type { SessionStore, StoreChange, StoreOptions } from "./session-store.ts";
import { discardStoreFile, probeCreation, readStoreFile, writeStoreFile } from "./store-file.ts";
import { loadStoreKey } from "./store-key.ts";
import { type StoreResult, stored, storeFailure } from "./store-result.ts";

/**
 * The shared store on a sealed file `<storeName>.session` in the profile directory, beside its key
 * (store-key.ts) and its lock `<storeName>.session.lock` (cross-process-lock.ts).
 *
 * Opening fails early and closed: UserProfileError for an unsafe or missing directory,
 * MemoryMappedFileCreationFailed when the directory does not let the store create its file (a
 * read-only directory: checked here, before any lock is taken, so this code wins over the lock's
 * MutexCreationFailed; a directory that turns read-only after opening gives MutexCreationFailed at
 * the next update, since the lock is created first).
 */
export async function openSessionStore(options: StoreOptions): Promise<StoreResult<SessionStore>> {
  const prepared = await prepareProfileDirectory(options.storeDir ?? defaultStoreDirectory());
  if (!prepared.ok) return prepared;
  const dir = prepared.value;
  const name = storeName(options.issuer, options.clientId);
  const path = join(dir, `${name}.session`);
  const probed = await probeCreation(path);
  if (!probed.ok) return probed;
  const keyed = await loadStoreKey(dir);
  if (!keyed.ok) return keyed;
  const key = keyed.value;
  const associated = `${options.issuer}\n${options.clientId}`;

  const read = async (): Promise<StoreResult<SessionData | undefined>> => {
    const file = await readStoreFile(path);
    if (!file.ok || file.value === undefined) return file as StoreResult<undefined>;
    const plain = open(key, associated, file.value.bytes);
    const record = plain === undefined ? undefined : parseRecord(plain, options.issuer, options.clientId);
    if (record === undefined) {
      // Tampered, truncated, sealed with another key or for another store: nothing in it can be
      // trusted, so it goes, and the next read finds nobody signed in.
      await discardStoreFile(path, file.value.identity);
      return storeFailure(
        IdentityStatusCode.InvalidSharedMemoryData,
        `${path} failed its integrity check and was discarded`,
      );
    }
    return stored(record);
  };
  const write = async (data: SessionData | null): Promise<StoreResult<undefined>> => {
    if (data === null) {
      try {
        await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT")
          return storeFailure(
            IdentityStatusCode.WriteDataIntoSharedMemoryFailed,
            `${path} cannot be deleted`,
          );
      }
      return stored(undefined);
    }
    const written = await writeStoreFile(path, seal(key, associated, JSON.stringify(data)));
    return written.ok ? stored(undefined) : written;
  };
  const store: SessionStore = {
    path,
    read,
    async update<T>(change: (current: SessionData | undefined) => Promise<StoreChange<T>>) {
      const locked = await withLock(
        `${path}.lock`,
        lockWaitMs(options.lockTimeoutMs),
        async (): Promise<StoreResult<T>> => {
          const current = await read();
          // A discarded record is nobody signed in: the change (a sign-in) may start afresh.
          if (!current.ok && current.status !== IdentityStatusCode.InvalidSharedMemoryData) return current;
          const { next, value } = await change(current.ok ? current.value : undefined);
          if (next !== "unchanged") {
            const written = await write(next);
            if (!written.ok) return written;
          }
          return stored(value);
        },
      );
      return locked.ok ? locked.value : locked;
    },
    watch(listener) {
      const watcher = watch(dir, (_event, file) => {
        if (file === `${name}.session`) listener();
      });
      // An unhandled 'error' event would throw in the host program: say it, and stop watching.
      watcher.on("error", (error: NodeJS.ErrnoException) => {
        process.emitWarning(`the session events stopped being watched (${error.code ?? "error"})`);
        watcher.close();
      });
      watcher.unref();
      return () => watcher.close();
    },
  };
  return stored(store);
}

/**
 * How long `update` waits for the lock, from the request timeout (lockTimeoutMs is init's
 * timeoutMs). A holder may spend up to one whole request at the server under the lock (a refresh,
 * a token exchange), and a waiter may arrive while another holder is mid-request: waiting only one
 * timeout made waiters fail (MutexCreationFailed) while a slow server was still answering in time.
 * So: two requests, plus a second for the local work (reading, sealing, writing the file).
 */
export const lockWaitMs = (requestTimeoutMs: number): number => 2 * requestTimeoutMs + 1000;

/** The file name for one issuer and client id: a digest, so that neither shows in a directory listing. */
export const storeName = (issuer: string, clientId: string) =>
  createHash("sha256").update(`${issuer}\n${clientId}`).digest("hex").slice(0, 32);
