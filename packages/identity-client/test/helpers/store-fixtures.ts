import { spawn } from "node:child_process";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
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

/** A fresh 0700 directory under the system's temp directory, removed by `cleanup`. */
export async function tempStoreRoot(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "tessera-store-test-"));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** The test file's store root and fresh store directories in it. */
export interface StoreRoot {
  readonly root: string;
  /** A new 0700 directory under the root (store-1, store-2, ...). */
  freshDir(): Promise<string>;
}

/** The preamble of the store tests: a temp store root created before the file's tests, removed after. */
export function storeRootForFile(): StoreRoot {
  let root = "";
  let cleanup: (() => Promise<void>) | undefined;
  let counter = 0;
  before(async () => {
    ({ root, cleanup } = await tempStoreRoot());
  });
  after(() => cleanup?.());
  return {
    get root() {
      return root;
    },
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
