import { lstat, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { IdentityStatusCode } from "@tessera/codes";
import { type StoreResult, stored, storeFailure } from "./store-result.ts";

/**
 * Where the store lives when the program names no directory: the user's own profile directory,
 * `$XDG_STATE_HOME/tessera/identity` (default `~/.local/state/tessera/identity`) on Linux,
 * `~/Library/Application Support/Tessera/Identity` on macOS, `%LOCALAPPDATA%\Tessera\Identity` on
 * Windows. Returns undefined when the platform gives no home directory (UserProfileError).
 */
export function defaultStoreDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined;
  }
  if (process.platform === "win32") {
    const local = env.LOCALAPPDATA ?? (home === "" ? undefined : join(home, "AppData", "Local"));
    return local === undefined ? undefined : join(local, "Tessera", "Identity");
  }
  if (home === "") return undefined;
  if (process.platform === "darwin")
    return join(home, "Library", "Application Support", "Tessera", "Identity");
  const state = env.XDG_STATE_HOME?.startsWith("/") ? env.XDG_STATE_HOME : join(home, ".local", "state");
  return join(state, "tessera", "identity");
}

/**
 * Creates the store's directory (0700) or checks the one that is there, failing closed with
 * UserProfileError naming the path and the problem. The directory is the store's only protection
 * against other OS users besides the encryption, so it must be a real directory (not a symlink
 * someone could point elsewhere), owned by this user and closed to group and others.
 *
 * On Windows the directory under %LOCALAPPDATA% inherits the profile's ACL (the user, SYSTEM and
 * administrators only); POSIX owner and mode bits do not exist there, so only the kind is checked.
 */
export async function prepareProfileDirectory(dir: string | undefined): Promise<StoreResult<string>> {
  if (dir === undefined)
    return storeFailure(IdentityStatusCode.UserProfileError, "no user profile directory: no home directory");
  let stats = await lstat(dir).catch((error: NodeJS.ErrnoException) => error);
  if (stats instanceof Error && stats.code === "ENOENT") {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      return profileError(dir, `cannot be created (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    stats = await lstat(dir).catch((error: NodeJS.ErrnoException) => error);
  }
  if (stats instanceof Error) return profileError(dir, `cannot be examined (${stats.code ?? "error"})`);
  if (stats.isSymbolicLink()) return profileError(dir, "is a symbolic link");
  if (!stats.isDirectory()) return profileError(dir, "is not a directory");
  if (process.platform === "win32" || process.getuid === undefined) return stored(dir);
  const uid = process.getuid();
  if (stats.uid !== uid) return profileError(dir, `is owned by uid ${stats.uid}, not by this user (${uid})`);
  if ((stats.mode & 0o077) !== 0)
    return profileError(
      dir,
      `is open to group or others (mode ${(stats.mode & 0o777).toString(8).padStart(4, "0")}; it must be 0700)`,
    );
  return stored(dir);
}

const profileError = (dir: string, problem: string) =>
  storeFailure<string>(IdentityStatusCode.UserProfileError, `the store directory ${dir} ${problem}`);
