import { spawn } from "node:child_process";

/**
 * The operating system's credential store, reached through its own command-line tool so that the
 * package needs no native module: libsecret's `secret-tool` (the Secret Service over the user's
 * D-Bus session: GNOME Keyring, KWallet) on Linux, `security` (the login keychain) on macOS, and
 * DPAPI through PowerShell on Windows (the protected blob is kept in the key file; only this
 * Windows user on this machine can unprotect it). Secrets travel over stdin, never over argv
 * (which other users can see in the process list).
 *
 * `reference` is what the key file records: the item's id (Secret Service, keychain) or the
 * protected blob (DPAPI). Every failure (no tool, no D-Bus session, a locked keyring, a timeout)
 * is `undefined`: the caller then uses a plain key file.
 */
export interface CredentialStore {
  readonly name: "secret-service" | "keychain" | "dpapi";
  /** Keeps `secret` (base64); answers the reference to record, or undefined when unreachable. */
  save(id: string, secret: string): Promise<string | undefined>;
  /** The secret (base64) for a recorded reference, or undefined. */
  load(reference: string): Promise<string | undefined>;
  remove(reference: string): Promise<void>;
}

const SERVICE = "tessera-identity-store";
const TIMEOUT_MS = 5_000;

export function osCredentialStore(env: NodeJS.ProcessEnv = process.env): CredentialStore | undefined {
  if (env.TESSERA_IDENTITY_KEY_STORE === "file") return undefined;
  if (process.platform === "darwin") return keychain;
  if (process.platform === "win32") return dpapi;
  // Without a session bus secret-tool would only fail (or, worse, start a prompt): skip it.
  if (env.DBUS_SESSION_BUS_ADDRESS === undefined || env.DBUS_SESSION_BUS_ADDRESS === "") return undefined;
  return secretService;
}

const secretService: CredentialStore = {
  name: "secret-service",
  async save(id, secret) {
    const stored = await run(
      "secret-tool",
      ["store", "--label=Tessera identity store key", "service", SERVICE, "id", id],
      secret,
    );
    return stored === undefined ? undefined : id;
  },
  load: (id) => run("secret-tool", ["lookup", "service", SERVICE, "id", id]),
  async remove(id) {
    await run("secret-tool", ["clear", "service", SERVICE, "id", id]);
  },
};

const keychain: CredentialStore = {
  name: "keychain",
  async save(id, secret) {
    // `security -i` reads the command from stdin, so the secret is not in argv.
    const done = await run("security", ["-i"], `add-generic-password -s ${SERVICE} -a ${id} -w ${secret}\n`);
    return done === undefined ? undefined : id;
  },
  load: (id) => run("security", ["find-generic-password", "-s", SERVICE, "-a", id, "-w"]),
  async remove(id) {
    await run("security", ["delete-generic-password", "-s", SERVICE, "-a", id]);
  },
};

const powershell = (script: string) => ["-NoProfile", "-NonInteractive", "-Command", script];
const dpapiScript = (method: "Protect" | "Unprotect") =>
  "Add-Type -AssemblyName System.Security; $b=[Convert]::FromBase64String([Console]::In.ReadLine()); " +
  `[Convert]::ToBase64String([Security.Cryptography.ProtectedData]::${method}($b,$null,'CurrentUser'))`;

const dpapi: CredentialStore = {
  name: "dpapi",
  save: (_id, secret) => run("powershell.exe", powershell(dpapiScript("Protect")), `${secret}\n`),
  load: (blob) => run("powershell.exe", powershell(dpapiScript("Unprotect")), `${blob}\n`),
  remove: async () => undefined,
};

/** The credential store a key file names, reachable or not (then its `load` fails). */
export const credentialStoreNamed = (name: string | undefined): CredentialStore | undefined =>
  [secretService, keychain, dpapi].find((store) => store.name === name);

/** Runs a tool; its trimmed stdout when it exits 0 in time, else undefined. */
function run(command: string, args: readonly string[], input?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, {
        stdio: ["pipe", "pipe", "ignore"],
        timeout: TIMEOUT_MS,
        windowsHide: true,
      });
    } catch {
      resolve(undefined);
      return;
    }
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.once("error", () => resolve(undefined));
    child.once("close", (code) => resolve(code === 0 ? out.trim() : undefined));
    child.stdin?.once("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}
