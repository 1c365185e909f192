import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

/** Why a server did not start: another server process serves the same SQLite data directory. */
export class DataDirLockedError extends Error {
  constructor(dataDir: string, holder: number | undefined) {
    super(
      `the data directory ${dataDir} is in use by another tessera server (${holder === undefined ? "pid unknown" : `pid ${holder}`}); ` +
        "SQLite serves one server process: stop that server, use another --data-dir, " +
        "or run several servers on PostgreSQL (databaseUrl)",
    );
    this.name = "DataDirLockedError";
  }
}

export interface DataDirLock {
  release(): void;
}

/** Servers of this process, by data directory: in-process test servers share one claim. */
const held = new Map<string, { sqlite: DatabaseSync; users: number }>();

/**
 * Claims a SQLite data directory for this server process. The claim is a SQLite file of its own,
 * `server.lock`, written once in exclusive locking mode: SQLite then keeps its exclusive file lock
 * until the connection closes, and the operating system drops it when the process dies, so a
 * crashed or killed server never leaves a stale claim behind (a pid file alone would). Other
 * processes fail at once (no busy timeout) instead of waiting. CLI commands do not claim: they
 * share the database with the server through SQLite's own locking and busy timeout.
 */
export function claimDataDir(dataDir: string): DataDirLock {
  const mine = held.get(dataDir) ?? { sqlite: lockFile(dataDir), users: 0 };
  held.set(dataDir, mine);
  mine.users += 1;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      mine.users -= 1;
      if (mine.users > 0) return;
      held.delete(dataDir);
      rmSync(pidFile(dataDir), { force: true });
      mine.sqlite.close();
    },
  };
}

function lockFile(dataDir: string): DatabaseSync {
  const file = join(dataDir, "server.lock");
  const sqlite = new DatabaseSync(file, { timeout: 0 });
  // Private like everything else in the data directory (SQLite creates it with the umask's mode).
  chmodSync(file, 0o600);
  try {
    sqlite.exec("PRAGMA locking_mode = EXCLUSIVE");
    // The first write takes the exclusive lock, which exclusive locking mode never gives back.
    sqlite.exec("BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS claim (at INTEGER); DELETE FROM claim;");
    sqlite.prepare("INSERT INTO claim (at) VALUES (?)").run(Date.now());
    sqlite.exec("COMMIT");
  } catch (error) {
    sqlite.close();
    if ((error as { errcode?: number }).errcode === 5) throw new DataDirLockedError(dataDir, holder(dataDir));
    throw error;
  }
  // The holder's pid, for the message another process shows; the exclusive lock makes it
  // unreadable inside server.lock, so it lives beside it (written whole, then renamed into place).
  const temporary = `${pidFile(dataDir)}.${process.pid}`;
  writeFileSync(temporary, `${process.pid}\n`, { mode: 0o600 });
  renameSync(temporary, pidFile(dataDir));
  return sqlite;
}

const pidFile = (dataDir: string) => join(dataDir, "server.pid");

function holder(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dataDir), "utf8").trim());
  } catch {
    return undefined;
  }
  // A file left by a killed server, read before the new holder replaced it, names no live process.
  return Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
