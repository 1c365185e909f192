import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A PostgreSQL cluster that lives for one test or benchmark run: initdb into a temporary
 * directory, listen on a free loopback port, trust authentication, no fsync (it is thrown away).
 * initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
 */
export interface ThrowawayCluster {
  readonly url: string;
  stop(): void;
}

function findBinDir(): string {
  const candidates = [
    process.env.TESSERA_PG_BIN,
    ...(existsSync("/usr/lib/postgresql")
      ? readdirSync("/usr/lib/postgresql")
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []),
    "/usr/local/bin",
    "/usr/bin",
  ];
  const found = candidates.find((dir) => dir !== undefined && existsSync(join(dir, "initdb")));
  if (found === undefined) {
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian: apt-get install postgresql) " +
        "or set TESSERA_TEST_DATABASE_URL to an existing server.",
    );
  }
  return found;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no free port");
  return address.port;
}

export async function startThrowawayPostgres(): Promise<ThrowawayCluster> {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), "tessera-pg-"));
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot
    ? Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    : undefined;
  const gid = asRoot
    ? Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const run = (command: string, args: string[]) =>
    execFileSync(join(bin, command), args, { stdio: "pipe", ...(uid === undefined ? {} : { uid, gid }) });

  const data = join(dir, "data");
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}
