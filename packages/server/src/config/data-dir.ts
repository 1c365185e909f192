import { homedir, userInfo } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the data lives when nothing says otherwise: like a per-user daemon, in the XDG data home
 * (`$XDG_DATA_HOME/tessera`, else `~/.local/share/tessera`), never the working directory, so that
 * every command finds the same data wherever it is run from. System installs set TESSERA_DATA_DIR
 * (the systemd unit in docs/operations.md). The XDG specification ignores a relative XDG_DATA_HOME.
 */
export function defaultDataDir(env: Env): string {
  const xdg = env.XDG_DATA_HOME ?? "";
  if (isAbsolute(xdg)) return resolve(xdg, "tessera");
  // A relative HOME would put the data back under the working directory (issue #10): it is
  // ignored like a relative XDG_DATA_HOME. The account's home then comes from the system's user
  // database, since os.homedir() itself returns $HOME when it is set.
  const home = env.HOME ?? "";
  return resolve(isAbsolute(home) ? home : accountHome(), ".local", "share", "tessera");
}

function accountHome(): string {
  try {
    return userInfo().homedir;
  } catch {
    // No entry for this uid (some containers): homedir() falls back to the same lookup or $HOME.
    return homedir();
  }
}

/**
 * The data directory as an absolute path, resolved once: a relative value from the command line or
 * the environment is relative to the working directory; one written in a config file is relative to
 * that file, so moving to another directory never changes which data a config file means.
 */
export function resolveDataDir(value: string | undefined, configFile: string | undefined, env: Env): string {
  if (value === undefined || value === "") return defaultDataDir(env);
  return configFile === undefined ? resolve(value) : resolve(dirname(resolve(configFile)), value);
}
