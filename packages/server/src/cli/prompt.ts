import { readFileSync } from "node:fs";
import { TesseraApiCode, TesseraError } from "@tessera/codes";

/**
 * Every interactive question of the command line: one line of standard input per question.
 *
 * A secret (a password, a one-time code) is never shown. On a terminal the prompt switches it to
 * raw mode (no echo) before the question is printed, so nothing typed after the question
 * appears, and restores it after the line; the typed characters are not echoed back, not even as
 * stars, so the length is not shown either. Piped input is not echoed by anything; it is read line
 * by line the same way. Questions go to standard error, so standard output stays parseable.
 */
export interface Prompter {
  ask(question: string, options?: { readonly secret?: boolean }): Promise<string>;
  close(): void;
}

const ENTER = new Set(["\r", "\n"]);
const BACKSPACE = new Set(["\x7f", "\b"]);
const CTRL_C = "\x03";
const CTRL_D = "\x04";

export function prompter(input: NodeJS.ReadStream = process.stdin): Prompter {
  const lines: (string | undefined)[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let current = "";
  let afterCr = false;
  let raw = false;
  let ended = false;
  const deliver = (line: string | undefined) => {
    if (waiting === undefined) lines.push(line);
    else {
      const resolve = waiting;
      waiting = undefined;
      resolve(line);
    }
  };
  const onData = (chunk: Buffer | string) => {
    for (const char of String(chunk)) {
      // Piped "\r\n" is one line end, not two.
      if (char === "\n" && afterCr) {
        afterCr = false;
        continue;
      }
      afterCr = char === "\r";
      if (ENTER.has(char)) {
        deliver(current);
        current = "";
      } else if (raw && BACKSPACE.has(char)) current = current.slice(0, -1);
      else if (raw && char === CTRL_C) interrupt();
      else if (raw && char === CTRL_D && current === "") deliver(undefined);
      else current += char;
    }
  };
  const onEnd = () => {
    ended = true;
    if (current !== "") deliver(current);
    current = "";
    deliver(undefined);
  };
  const setRaw = (on: boolean) => {
    if (!input.isTTY || raw === on) return;
    input.setRawMode(on);
    raw = on;
  };
  // In raw mode the terminal sends Ctrl-C as a character instead of a signal: give it back its
  // meaning, after restoring the terminal.
  const interrupt = () => {
    setRaw(false);
    process.stderr.write("\n");
    process.kill(process.pid, "SIGINT");
  };
  input.setEncoding("utf8");
  input.on("data", onData);
  input.on("end", onEnd);
  input.pause();

  return {
    async ask(question, options = {}) {
      if (options.secret) setRaw(true);
      process.stderr.write(`${question}: `);
      input.resume();
      const line =
        lines.length > 0
          ? lines.shift()
          : ended
            ? undefined
            : await new Promise<string | undefined>((resolve) => {
                waiting = resolve;
              });
      input.pause();
      if (raw) {
        setRaw(false);
        // The Enter the terminal did not echo: the next output starts on its own line.
        process.stderr.write("\n");
      }
      if (line === undefined)
        throw new TesseraError(TesseraApiCode.MalformedRequest, { message: `no answer for "${question}"` });
      return line;
    },
    close() {
      setRaw(false);
      input.off("data", onData);
      input.off("end", onEnd);
      input.pause();
    },
  };
}

/**
 * A password for `--password-stdin`: asked without echo on a terminal; piped, the whole input
 * without its final line end (as `docker login --password-stdin` reads it), printing nothing.
 */
export async function readPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) return readFileSync(0, "utf8").replace(/\r?\n$/, "");
  const input = prompter();
  try {
    return await input.ask(question, { secret: true });
  } finally {
    input.close();
  }
}
