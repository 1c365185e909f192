import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { chown, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { openSessionStore } from "../../src/store/file-session-store.ts";
import type { SessionStore } from "../../src/store/session-store.ts";

/** Helpers of the store tests (store-*.test.ts). */

// On a desktop the store would keep its keys in the developer's real keyring: the tests keep them
// in key files instead (store-key.test.ts and store-keyring.test.ts choose for themselves).
process.env.TESSERA_IDENTITY_KEY_STORE = "file";
export const ISSUER = "http://127.0.0.1:9/oidc/tenant-a";
export const CLIENT_ID = "field-notes";
const CHILD = join(import.meta.dirname, "store-child.ts");
/** The uid a root test runs a child as, to meet the permission checks root would pass. */
export const NOBODY = 65534;
export const isRoot = process.getuid?.() === 0;

/**
 * The preamble of the store tests: the file's temp store root (0700), created when the file loads (so it
 * is there for every hook, whatever order the runner gives file-level hooks) and removed after its
 * tests, and fresh 0700 store directories in it (store-1, store-2, ...).
 */
export function storeRootForFile(): { readonly root: string; freshDir(): Promise<string> } {
  const root = mkdtempSync(join(tmpdir(), "tessera-store-test-"));
  after(() => rm(root, { recursive: true, force: true }));
  let counter = 0;
  return {
    root,
    async freshDir() {
      counter += 1;
      const dir = join(root, `store-${counter}`);
      await mkdir(dir, { mode: 0o700 });
      return dir;
    },
  };
}

export function openStore(dir: string, issuer = ISSUER, clientId = CLIENT_ID) {
  return openSessionStore({ storeDir: dir, issuer, clientId, lockTimeoutMs: 10_000 });
}

export async function mustOpen(dir: string, issuer = ISSUER, clientId = CLIENT_ID): Promise<SessionStore> {
  const opened = await openStore(dir, issuer, clientId);
  if (!opened.ok) throw new Error(`the store did not open: ${opened.message}`);
  return opened.value;
}

export { observe } from "./observe.ts";

export interface ChildAnswer {
  readonly ok: boolean;
  readonly status?: number;
  readonly message?: string;
  readonly value?: unknown;
}

/**
 * Runs store-child.ts with `request`. `shell` runs it after that shell command (`ulimit -f 8`: a
 * full disk as the process sees it), `prefix` under that command (`dbus-run-session --`), `asUser`
 * as another OS user (root only). Resolves with its answer.
 */
export function runStoreChild(
  request: Record<string, unknown>,
  options: { shell?: string; prefix?: readonly string[]; asUser?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildAnswer> {
  const args = [CHILD, JSON.stringify(request)];
  const command =
    options.shell === undefined
      ? [process.execPath, ...args]
      : ["sh", "-c", `${options.shell} && exec "$0" "$@"`, process.execPath, ...args];
  const [file = "", ...rest] = [...(options.prefix ?? []), ...command];
  const child = spawn(file, rest, spawnOptions(options));
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line) as ChildAnswer);
      } catch {
        reject(new Error(`the store child exited ${code} without an answer: ${err}`));
      }
    });
  });
}

function spawnOptions(options: { asUser?: number; env?: NodeJS.ProcessEnv }) {
  return {
    stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    ...(options.asUser === undefined ? {} : { uid: options.asUser, gid: options.asUser }),
  };
}

/** Gives `dir` to the user a root test runs its child as (no-op when not root: the child is us). */
export async function giveToChildUser(dir: string): Promise<number | undefined> {
  if (!isRoot) return undefined;
  await chown(dir, NOBODY, NOBODY);
  return NOBODY;
}
