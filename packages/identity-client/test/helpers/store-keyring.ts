import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * A real Secret Service for the store's key tests: GNOME Keyring in a private D-Bus session
 * (`dbus-run-session`), its keyring files under a throwaway HOME, unlocked with a test password.
 * The programs come from Debian's packages, which `npm test` installs when missing
 * (scripts/lib/ensure-test-tools.ts); run alone, the tests fail naming the command.
 */
const tools = [
  ["secret-tool", "libsecret-tools"],
  ["gnome-keyring-daemon", "gnome-keyring"],
  ["dbus-run-session", "dbus-daemon"],
] as const;

const onPath = (command: string) =>
  (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

export function ensureKeyringTools(): void {
  const missing = tools.filter(([command]) => !onPath(command)).map(([, pkg]) => pkg);
  if (missing.length > 0)
    throw new Error(
      `the keyring tests need: apt-get install -y --no-install-recommends ${missing.join(" ")}`,
    );
}

/** What runStoreChild needs to run its child in a D-Bus session with an unlocked keyring in `home`. */
export function inKeyringSession(home: string) {
  const { TESSERA_IDENTITY_KEY_STORE: _file, DBUS_SESSION_BUS_ADDRESS: _bus, ...env } = process.env;
  return {
    prefix: ["dbus-run-session", "--"],
    // --daemonize returns once the daemon serves the session; the login keyring is created on first use.
    shell:
      "printf %s test-keyring-password | gnome-keyring-daemon --daemonize --unlock --components=secrets >/dev/null 2>&1",
    env: { ...env, HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_RUNTIME_DIR: home },
  };
}
