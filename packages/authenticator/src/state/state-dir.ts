import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** `--state-dir`, else $XDG_STATE_HOME/tessera-authenticator, else ~/.local/state/tessera-authenticator. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const stateHome = env.XDG_STATE_HOME;
  const base =
    stateHome !== undefined && isAbsolute(stateHome) ? stateHome : join(homedir(), ".local", "state");
  return join(base, "tessera-authenticator");
}
