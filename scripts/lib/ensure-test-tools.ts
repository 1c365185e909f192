import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The programs the tests talk to, and the Debian package of each. `npm test` checks for them first
 * and installs what is missing when it can (root with apt-get), so that the README's one test
 * command works on a fresh Debian machine; otherwise it stops at once, naming the one command that
 * installs them, rather than failing halfway through the suites.
 */
export interface TestTool {
  readonly command: string;
  readonly debianPackage: string;
  readonly why: string;
}

export const testTools: readonly TestTool[] = [
  { command: "oathtool", debianPackage: "oathtool", why: "the interop peer for one-time codes" },
  { command: "initdb", debianPackage: "postgresql", why: "the throwaway PostgreSQL cluster" },
  { command: "chromium", debianPackage: "chromium", why: "the browser tests" },
  {
    command: "secret-tool",
    debianPackage: "libsecret-tools",
    why: "the identity client's key in a real Secret Service",
  },
  { command: "gnome-keyring-daemon", debianPackage: "gnome-keyring", why: "the Secret Service itself" },
  { command: "dbus-run-session", debianPackage: "dbus-daemon", why: "a private D-Bus for the keyring" },
  {
    command: "radclient",
    debianPackage: "freeradius-utils",
    why: "the RADIUS interop peer (radclient and radtest)",
  },
];

/** Where to look: the PATH, plus PostgreSQL's versioned directories, which Debian keeps off it. */
export interface ToolEnvironment {
  readonly PATH?: string | undefined;
  readonly TESSERA_PG_BIN?: string | undefined;
  /** An existing PostgreSQL server for the tests: no local cluster, so no initdb needed. */
  readonly TESSERA_TEST_DATABASE_URL?: string | undefined;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchDirs(tool: TestTool, env: ToolEnvironment, postgresRoot: string): string[] {
  const dirs = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  if (tool.command !== "initdb") return dirs;
  const versions = existsSync(postgresRoot)
    ? readdirSync(postgresRoot).map((v) => join(postgresRoot, v, "bin"))
    : [];
  return [...(env.TESSERA_PG_BIN === undefined ? [] : [env.TESSERA_PG_BIN]), ...versions, ...dirs];
}

/** The Debian packages whose program is found nowhere the tests look, in install order. */
export function missingPackages(env: ToolEnvironment, postgresRoot = "/usr/lib/postgresql"): string[] {
  return testTools
    .filter((tool) => !(tool.command === "initdb" && env.TESSERA_TEST_DATABASE_URL))
    .filter((tool) => !searchDirs(tool, env, postgresRoot).some((dir) => executable(join(dir, tool.command))))
    .map((tool) => tool.debianPackage);
}

/** The one command that installs the packages, as a person would type it. */
export function installCommand(packages: readonly string[], asRoot: boolean): string {
  const sudo = asRoot ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(" ")}`;
}

/** Installs what is missing (as root, with apt-get) or exits naming the command that does. */
export function ensureTestTools(env: NodeJS.ProcessEnv = process.env): void {
  const missing = missingPackages(env);
  if (missing.length === 0) return;
  const asRoot = process.getuid?.() === 0;
  const command = installCommand(missing, asRoot);
  const needed = testTools
    .filter((t) => missing.includes(t.debianPackage))
    .map((t) => `${t.command} (${t.why})`);
  const aptGet = (env.PATH ?? "").split(delimiter).some((dir) => executable(join(dir, "apt-get")));
  if (!asRoot || !aptGet) {
    const how = aptGet ? "Install them with" : "Install them with your package manager; on Debian";
    console.error(`The tests need ${needed.join(", ")}. ${how}:\n\n  ${command}\n`);
    process.exit(1);
  }
  console.log(`installing ${missing.join(", ")} from Debian's packages for the tests: ${command}`);
  const options = { stdio: "inherit" as const, env: { ...env, DEBIAN_FRONTEND: "noninteractive" } };
  execFileSync("apt-get", ["update", "-qq"], options);
  execFileSync("apt-get", ["install", "-y", "-qq", ...missing], options);
  const still = missingPackages(env);
  if (still.length > 0) {
    console.error(
      `apt-get installed the packages, but these programs are still missing: ${still.join(", ")}`,
    );
    process.exit(1);
  }
}
