import { homedir } from "node:os";
import { join } from "node:path";

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
