import { spawn } from "node:child_process";
import { IdentityStatusCode } from "@tessera/codes";
import type { ClientContext } from "../client-context.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";

/**
 * Opening a URL in the system browser. The command is the `browser` option, else $BROWSER (the
 * documented hook), else the platform's opener. It runs WITHOUT a shell: the URL comes from the
 * server's discovery document and must never be parsed by one. In the command, `%s` is replaced
 * by the URL, else the URL is appended; quotes group words, nothing else is interpreted.
 */

/** A browser that has not failed within this window counts as started (it may run for long). */
export const LAUNCH_WINDOW_MS = 1500;

export function browserArgv(url: string, option: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const configured =
    option ?? (env.BROWSER === undefined || env.BROWSER.trim() === "" ? undefined : env.BROWSER);
  if (configured === undefined) return platformOpener(url);
  const words = splitCommand(configured);
  return words.some((word) => word.includes("%s"))
    ? words.map((word) => word.replaceAll("%s", url))
    : [...words, url];
}

function platformOpener(url: string): string[] {
  if (process.platform === "darwin") return ["open", url];
  // `start` is a cmd built-in; "" is the window title, ^ keeps cmd from splitting at & in the URL.
  if (process.platform === "win32") return ["cmd", "/c", "start", '""', url.replace(/[&^|<>()]/g, "^$&")];
  return ["xdg-open", url];
}

/** Splits a command line into words: whitespace separates, '…' and "…" group; no expansion. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  let started = false;
  for (const char of command) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += char;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

/**
 * Starts `argv` and waits LAUNCH_WINDOW_MS: a command that cannot be started (not found, not
 * executable) or that exits non-zero within the window is a browser that did not start.
 */
export function launchBrowser(
  argv: readonly string[],
): Promise<{ ok: true } | { ok: false; message: string }> {
  const [command, ...args] = argv;
  if (command === undefined || command === "")
    return Promise.resolve({ ok: false, message: "the browser command is empty" });
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: "ignore",
      windowsVerbatimArguments: process.platform === "win32",
    });
    const timer = setTimeout(() => {
      child.unref();
      resolve({ ok: true });
    }, LAUNCH_WINDOW_MS);
    const settle = (result: { ok: true } | { ok: false; message: string }) => {
      clearTimeout(timer);
      resolve(result);
    };
    // Only the command's name goes into messages: its arguments hold the authorization URL.
    child.on("error", (error: NodeJS.ErrnoException) =>
      settle({
        ok: false,
        message: `the browser command ${command} cannot be started (${error.code ?? "error"})`,
      }),
    );
    child.on("exit", (code, signal) =>
      settle(
        code === 0
          ? { ok: true }
          : { ok: false, message: `the browser command ${command} failed (${signal ?? `exit ${code}`})` },
      ),
    );
  });
}

/** Opens `url` in the system browser (sign-in, sign-out everywhere); InitCefFailed when none starts. */
export async function openInBrowser(ctx: ClientContext, url: URL): Promise<IdentityResult> {
  const launched = await launchBrowser(browserArgv(url.href, ctx.options.browser, process.env));
  return launched.ok ? ok() : fail(IdentityStatusCode.InitCefFailed, launched.message);
}
