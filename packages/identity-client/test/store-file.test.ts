import assert from "node:assert/strict";
import { chmod, mkdir, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { insertPublicTestApp } from "../../server/test/helpers/sso-test-app.ts";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.ts";
import { emptySession, type SessionData } from "../src/session/session-data.ts";
import { seal } from "../src/store/sealed-record.ts";
import type { SessionStore } from "../src/store/session-store.ts";
import {
  CLIENT_ID,
  giveToChildUser,
  ISSUER,
  mustOpen,
  observe,
  openStore,
  runStoreChild,
  storeRootForFile,
} from "./helpers/store-fixtures.ts";

/** The store file: 0600, replaced atomically, deleted on sign-out, and every way it fails. */
const { root, freshDir } = storeRootForFile();

const session = (generation: number): SessionData => ({ ...emptySession(ISSUER, CLIENT_ID), generation });
const put = async (store: SessionStore, data: SessionData | null) => {
  const done = await store.update(async () => ({ next: data, value: "done" }));
  assert.deepEqual(done, { ok: true, value: "done" });
};
const keyOf = async (dir: string) =>
  Buffer.from((await readFile(join(dir, "store.key"), "utf8")).trim().split(" ").at(-1) ?? "", "base64");

test("the store file is 0600, replaced by rename (no temporary files left), and deleted on sign-out", async () => {
  const dir = await freshDir();
  const store = await mustOpen(dir);
  await put(store, session(1));
  assert.equal((await stat(store.path)).mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, "store.key"))).mode & 0o777, 0o600);
  const before = await stat(store.path);
  await put(store, session(2));
  // A new inode: the file was replaced, never rewritten in place under a lock-free reader.
  assert.notEqual((await stat(store.path)).ino, before.ino);
  assert.deepEqual((await store.read()).ok && (await store.read()), { ok: true, value: session(2) });
  assert.deepEqual((await readdir(dir)).sort(), ["store.key", store.path.split("/").at(-1)].sort());
  await put(store, null);
  assert.deepEqual(await readdir(dir), ["store.key"]);
  assert.deepEqual(await store.read(), { ok: true, value: undefined });
  // Signing out twice is fine.
  await put(store, null);
});

test("a read-only directory is MemoryMappedFileCreationFailed at open, before the lock is tried", async () => {
  const dir = await freshDir();
  // As root, permission bits do not stop writes: the child runs as another user who owns the dir.
  const asUser = await giveToChildUser(dir);
  // The other user must be able to reach it (search only: nothing in the test root is listable).
  if (asUser !== undefined) await chmod(root, 0o711);
  await chmod(dir, 0o500);
  const answer = await runStoreChild(
    { action: "append", dir, issuer: ISSUER, clientId: CLIENT_ID },
    asUser === undefined ? {} : { asUser },
  );
  recordObservedCode("identity", answer.status ?? 0, "store in a read-only directory");
  assert.equal(answer.status, IdentityStatusCode.MemoryMappedFileCreationFailed, answer.message);
  assert.match(answer.message ?? "", /cannot be created in its directory \(EACCES\)/);
  assert.deepEqual(await readdir(dir), []);
});

test("init through the public API in a read-only directory is MemoryMappedFileCreationFailed", async () => {
  let s: TestServer | undefined;
  try {
    s = await startTestServer("sqlite");
    const { tenant } = await s.tenant();
    const clientId = await insertPublicTestApp(s, tenant.id);
    const dir = await freshDir();
    const asUser = await giveToChildUser(dir);
    if (asUser !== undefined) await chmod(root, 0o711);
    await chmod(dir, 0o500);
    const request = { action: "init", dir, issuer: `${s.url}/oidc/${tenant.id}`, clientId };
    const answer = await runStoreChild(request, asUser === undefined ? {} : { asUser });
    recordObservedCode("identity", answer.status ?? 0, "init with a read-only store directory");
    assert.equal(answer.status, IdentityStatusCode.MemoryMappedFileCreationFailed, answer.message);
    await chmod(dir, 0o700);
    const writable = await runStoreChild(request, asUser === undefined ? {} : { asUser });
    assert.equal(writable.status, IdentityStatusCode.Success, writable.message);
  } finally {
    await s?.close();
  }
});

test("a full disk (a file-size limit) is WriteDataIntoSharedMemoryFailed and the old record stays", async () => {
  const dir = await freshDir();
  const store = await mustOpen(dir);
  await put(store, session(5));
  // 8 blocks: the key and lock files fit, the 64 KiB record does not (EFBIG, as on a full disk).
  const answer = await runStoreChild(
    { action: "write-big", dir, issuer: ISSUER, clientId: CLIENT_ID },
    { shell: "ulimit -f 8" },
  );
  recordObservedCode("identity", answer.status ?? 0, "store write on a full disk");
  assert.equal(answer.status, IdentityStatusCode.WriteDataIntoSharedMemoryFailed, answer.message);
  assert.match(answer.message ?? "", /cannot be written \(EFBIG\)/);
  assert.deepEqual(await store.read(), { ok: true, value: session(5) });
  assert.equal((await readdir(dir)).filter((name) => name.endsWith(".tmp")).length, 0);
  // Without the limit the same write goes through.
  const unlimited = await runStoreChild({ action: "write-big", dir, issuer: ISSUER, clientId: CLIENT_ID });
  assert.deepEqual(unlimited, { ok: true, value: 1 });
});

test("a store path that cannot be read (a directory) is ReadDataFromSharedMemoryFailed, also as root", async () => {
  const dir = await freshDir();
  const store = await mustOpen(dir);
  await mkdir(store.path);
  const read = observe(await store.read(), "store file is a directory");
  assert.equal(read.ok, false);
  if (!read.ok) {
    assert.equal(read.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed);
    assert.ok(read.message.includes(store.path));
  }
  // The update refuses too and leaves the directory where it was.
  const updated = observe(
    await store.update(async () => ({ next: session(1), value: 1 })),
    "store update over a directory",
  );
  assert.equal(updated.ok ? 0 : updated.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed);
  assert.ok((await stat(store.path)).isDirectory());
});

const invalidCases: Record<string, (dir: string, store: SessionStore) => Promise<void>> = {
  "a flipped byte": async (_dir, store) => {
    const bytes = await readFile(store.path);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0x01;
    await writeFile(store.path, bytes);
  },
  "a truncated file": async (_dir, store) => {
    await truncate(store.path, (await stat(store.path)).size - 1);
  },
  "an empty file": async (_dir, store) => {
    await truncate(store.path, 0);
  },
  "a file from another issuer's store copied in": async (dir, store) => {
    const other = await mustOpen(dir, "http://127.0.0.1:9/oidc/tenant-b");
    await put(other, { ...session(9), issuer: "http://127.0.0.1:9/oidc/tenant-b" });
    await writeFile(store.path, await readFile(other.path));
  },
  "bad JSON inside a valid seal": async (dir, store) => {
    await writeFile(store.path, seal(await keyOf(dir), `${ISSUER}\n${CLIENT_ID}`, "{not json"));
  },
  "another version inside a valid seal": async (dir, store) => {
    const record = JSON.stringify({ ...session(1), version: 2 });
    await writeFile(store.path, seal(await keyOf(dir), `${ISSUER}\n${CLIENT_ID}`, record));
  },
  "another issuer's record inside this store's seal": async (dir, store) => {
    const record = JSON.stringify({ ...session(1), issuer: "http://127.0.0.1:9/oidc/tenant-b" });
    await writeFile(store.path, seal(await keyOf(dir), `${ISSUER}\n${CLIENT_ID}`, record));
  },
};

for (const [name, damage] of Object.entries(invalidCases)) {
  test(`${name} is InvalidSharedMemoryData; the file is discarded and the next read finds nobody`, async () => {
    const dir = await freshDir();
    const store = await mustOpen(dir);
    await put(store, session(3));
    await damage(dir, store);
    const read = observe(await store.read(), `store file: ${name}`);
    assert.equal(read.ok ? 0 : read.status, IdentityStatusCode.InvalidSharedMemoryData);
    assert.deepEqual(await store.read(), { ok: true, value: undefined });
    assert.equal((await readdir(dir)).includes(store.path.split("/").at(-1) ?? ""), false);
    // A sign-in after it writes a fresh record.
    await put(store, session(4));
    assert.deepEqual(await store.read(), { ok: true, value: session(4) });
  });
}

test("an update over a damaged record starts afresh (the damaged record is nobody signed in)", async () => {
  const dir = await freshDir();
  const store = await mustOpen(dir);
  await put(store, session(3));
  await truncate(store.path, 10);
  const seen = await store.update(async (current) => ({ next: session(1), value: current }));
  assert.deepEqual(seen, { ok: true, value: undefined });
  assert.deepEqual(await store.read(), { ok: true, value: session(1) });
});

test("opening a store whose directory was fine still works when the file is a symlink: it is not followed", async () => {
  const dir = await freshDir();
  const store = await mustOpen(dir);
  const { symlink } = await import("node:fs/promises");
  await writeFile(join(root, "elsewhere"), "secret elsewhere");
  await symlink(join(root, "elsewhere"), store.path);
  const read = observe(await store.read(), "store file is a symlink");
  assert.equal(read.ok ? 0 : read.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed);
  assert.equal(await readFile(join(root, "elsewhere"), "utf8"), "secret elsewhere");
  assert.equal((await openStore(dir)).ok, true);
});
