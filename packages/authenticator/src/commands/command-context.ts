import { stateError, usageError } from "../cli/exit-codes.ts";
import { AppClient } from "../protocol/app-client.ts";
import type { Account } from "../state/account.ts";
import type { StateStore } from "../state/state-store.ts";

/** What every command gets: the state store and where to write. */
export interface CommandContext {
  readonly store: StateStore;
  /** The command's output (what a script reads). */
  readonly out: (text: string) => void;
  /** Progress, prompts' context and errors. */
  readonly err: (text: string) => void;
  /** How this program was invoked, `--state-dir` included, for command lines it prints. */
  readonly invocation: string;
}

/** `word` as one shell word: as is when plainly safe, else single-quoted. */
export const shellWord = (word: string): string =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * The enrolled device a command acts for: `--account <serial>`, else the only one enrolled (with
 * several, guessing could answer for the wrong account, so the choice is the user's).
 */
export async function pickAccount(context: CommandContext, serial: string | undefined): Promise<Account> {
  const accounts = await context.store.accounts();
  if (accounts.length === 0)
    throw stateError(
      `nothing is enrolled in ${context.store.dir}: run tessera-authenticator enrol <enrolment-link>`,
    );
  if (serial !== undefined) {
    const account = accounts.find((candidate) => candidate.serial === serial);
    if (account === undefined)
      throw stateError(`no device ${JSON.stringify(serial)} is enrolled in ${context.store.dir}`);
    return account;
  }
  const [only, ...others] = accounts;
  if (only === undefined || others.length > 0)
    throw usageError(
      `several devices are enrolled (${accounts.map((a) => a.serial).join(", ")}): choose one with --account <serial>`,
    );
  return only;
}

/**
 * A client whose timestamps grow across commands: the next one is the clock's time, or one more
 * than the last sent if the clock has not moved on (or went back), saved before the request goes,
 * under the key file's lock (another command may be picking one at the same moment).
 */
export function clientFor(context: CommandContext, account: Account): AppClient {
  return new AppClient(account, async (current) => {
    const saved = await context.store.update(current.serial, (stored) => ({
      ...stored,
      lastTimestamp: Math.max(Date.now(), stored.lastTimestamp + 1),
    }));
    return String(saved.lastTimestamp);
  });
}
