import { randomBytes } from "node:crypto";
import { lstat, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stateError } from "../cli/exit-codes.ts";
import { type Account, parseAccount, serialPattern } from "./account.ts";

/** Owner-only permissions are not checked where POSIX modes do not exist. */
const posix = process.platform !== "win32";

/**
 * The app's state directory (mode 0700) holding one file per enrolled device (mode 0600): the
 * private key is the device's only credential, so a directory or file that group or others can
 * reach, or that another user owns, is refused with the fix to make, never used or repaired
 * silently (like ssh with its keys). Writes go to a fresh 0600 file renamed over the old one, so
 * a crash or a concurrent command never leaves half a file.
 */
export class StateStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates the directory 0700 when missing; checks it when present. */
  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.#checkDirectory();
  }

  async accounts(): Promise<Account[]> {
    if (!(await this.#exists())) return [];
    await this.#checkDirectory();
    const names = (await readdir(this.dir)).filter((name) => name.endsWith(".json")).sort();
    return Promise.all(names.map((name) => this.#read(join(this.dir, name))));
  }

  /** The account of `serial`, read afresh (another command may have moved its timestamp on). */
  async account(serial: string): Promise<Account> {
    if (!serialPattern.test(serial)) throw stateError(`no device ${JSON.stringify(serial)} is enrolled`);
    await this.#checkDirectory();
    return this.#read(this.#file(serial));
  }

  async save(account: Account): Promise<void> {
    if (!serialPattern.test(account.serial))
      throw stateError(`refusing to store serial ${JSON.stringify(account.serial)}`);
    await this.prepare();
    const target = this.#file(account.serial);
    const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(account, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * Runs `update` on the account of `serial` while holding its lock file, and saves what it
   * returns. Commands sharing a key file (two watchers, a watch and an approve) each read, move
   * on and save the last timestamp; without the lock two of them could send the same one and the
   * server would refuse the second as a replay. The lock is a file created exclusively (O_EXCL,
   * atomic on every local file system); one left by a crashed command is taken over once it is
   * older than any holder can be, since a holder only reads and writes one small file.
   */
  async update(serial: string, update: (account: Account) => Account): Promise<Account> {
    if (!serialPattern.test(serial)) throw stateError(`no device ${JSON.stringify(serial)} is enrolled`);
    const lock = `${this.#file(serial)}.lock`;
    await this.#acquire(lock);
    try {
      const next = update(await this.account(serial));
      await this.save(next);
      return next;
    } finally {
      await rm(lock, { force: true });
    }
  }

  async #acquire(lock: string): Promise<void> {
    const deadline = Date.now() + lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await (await open(lock, "wx", 0o600)).close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const age = await lstat(lock).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (age > staleLockMs) await rm(lock, { force: true });
      else if (Date.now() > deadline)
        throw stateError(`key file ${lock} is locked by another command; remove it if none is running`);
      else await sleep(Math.min(2 ** attempt, 50));
    }
  }

  #file(serial: string): string {
    return join(this.dir, `${serial}.json`);
  }

  async #exists(): Promise<boolean> {
    return lstat(this.dir).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return false;
        throw error;
      },
    );
  }

  async #checkDirectory(): Promise<void> {
    const info = await lstat(this.dir);
    if (!info.isDirectory()) throw stateError(`state directory ${this.dir} is not a directory`);
    if (!posix) return;
    if (info.uid !== process.getuid?.())
      throw stateError(`state directory ${this.dir} belongs to another user`);
    if ((info.mode & 0o077) !== 0)
      throw stateError(
        `state directory ${this.dir} is open to group or others (mode ${octal(info.mode)}); run: chmod 700 ${this.dir}`,
      );
  }

  async #read(file: string): Promise<Account> {
    const info = await lstat(file);
    if (!info.isFile()) throw stateError(`${file} is not a regular file`);
    if (posix) {
      if (info.uid !== process.getuid?.()) throw stateError(`key file ${file} belongs to another user`);
      if ((info.mode & 0o077) !== 0)
        throw stateError(
          `key file ${file} is readable by group or others (mode ${octal(info.mode)}); run: chmod 600 ${file}`,
        );
    }
    const account = parseAccount(await readFile(file, "utf8"));
    if (typeof account === "string") throw stateError(`key file ${file} ${account}`);
    if (basename(file) !== `${account.serial}.json`)
      throw stateError(`key file ${file} holds another serial (${account.serial})`);
    return account;
  }
}

/** How long a command waits for another to finish with a key file. */
const lockWaitMs = 5_000;
/** A lock older than this was left by a command that died while holding it. */
const staleLockMs = 10_000;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
