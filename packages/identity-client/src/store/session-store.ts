import type { SessionData } from "../session/session-data.ts";
import type { StoreResult } from "./store-result.ts";

/**
 * The shared session store: one sealed file per OS user, issuer and main client id, in the user's
 * profile directory, guarded by a cross-process lock (docs/identity-client.md, "The store").
 *
 * - `read` takes no lock: writes replace the file atomically (rename), so a reader sees the old or
 *   the new record, never half of one. It is the fast path of getAccessToken.
 * - `update` runs `change` under the lock on the record as it is now (re-read under the lock), and
 *   writes what it returns: a new record, `null` to delete the file (sign-out), or `unchanged`.
 *   Everything that must happen once across processes (a refresh) happens inside `change`.
 * - A record that fails its integrity check is InvalidSharedMemoryData, and the file is discarded.
 *   `update` treats such a record as nobody signed in (a sign-in may start afresh).
 * - Failures carry one code each (file-session-store.ts, store-file.ts): UserProfileError (the
 *   directory), MemoryMappedFileCreationFailed (a file cannot be created), WriteDataIntoShared-
 *   MemoryFailed (nor written), ReadDataFromSharedMemoryFailed (nor read, nor its key),
 *   MutexCreationFailed (the lock).
 */
export interface SessionStore {
  /** The sealed file's path (for messages and tests). */
  readonly path: string;
  read(): Promise<StoreResult<SessionData | undefined>>;
  update<T>(change: (current: SessionData | undefined) => Promise<StoreChange<T>>): Promise<StoreResult<T>>;
  /** Calls `listener` whenever another process (or this one) replaces or deletes the file. */
  watch(listener: () => void): () => void;
}

export interface StoreChange<T> {
  readonly next: SessionData | null | "unchanged";
  readonly value: T;
}

export interface StoreOptions {
  /** The directory holding the store; default the user's profile directory (profile-directory.ts). */
  readonly storeDir?: string;
  readonly issuer: string;
  readonly clientId: string;
  /** The request timeout (init's timeoutMs); `update` waits 2 × it + 1 s for the lock (lockWaitMs), then MutexCreationFailed. */
  readonly lockTimeoutMs: number;
}
