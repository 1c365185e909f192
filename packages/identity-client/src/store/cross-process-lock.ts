import { open, unlink } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { IdentityStatusCode } from "@tessera/codes";
import { type StoreResult, stored, storeFailure } from "./store-result.ts";

/**
 * PROVISIONAL (foundation): an O_EXCL lock file, retried until `timeoutMs`. The store issue's lock
 * part replaces it with pid-and-start-time stale-lock recovery, keeping this signature.
 */
export async function withLock<T>(
  lockPath: string,
  timeoutMs: number,
  critical: () => Promise<T>,
): Promise<StoreResult<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid }));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        return storeFailure(IdentityStatusCode.MutexCreationFailed, `the lock ${lockPath} cannot be created`);
      if (Date.now() > deadline)
        return storeFailure(IdentityStatusCode.MutexCreationFailed, `the lock ${lockPath} stayed taken`);
      await delay(2);
    }
  }
  try {
    return stored(await critical());
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
