import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { emptySession, type SessionData } from "../src/session/session-data.ts";
import type { SessionStore } from "../src/store/session-store.ts";
import {
  CLIENT_ID,
  ISSUER,
  mustOpen,
  observe,
  openStore,
  runStoreChild,
  storeRootForFile,
} from "./helpers/store-fixtures.ts";

/**
 * The store's key: a 0600 key file when no OS credential store is reachable (as here: no
 * secret-tool and no D-Bus session on the test machines), created once across racing processes,
 * cached in memory, and a key that no longer opens the store discards the store.
 */
const { root, freshDir } = storeRootForFile();
before(async () => {
  // A session bus address that leads nowhere: the credential store is unreachable for certain,
  // even on a desktop where the tests would otherwise reach the developer's real keyring.
  process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(root, "no-bus")}`;
  delete process.env.TESSERA_IDENTITY_KEY_STORE;
});
const session = (generation: number): SessionData => ({ ...emptySession(ISSUER, CLIENT_ID), generation });
const put = async (store: SessionStore, data: SessionData | null) =>
  assert.deepEqual(await store.update(async () => ({ next: data, value: 1 })), { ok: true, value: 1 });
const keyLine = (key: Buffer) => `tessera-store-key 1 file ${key.toString("base64")}\n`;

test("without a reachable credential store the key is a 0600 file holding 32 random bytes", async () => {
  const dir = await freshDir();
  await mustOpen(dir);
  const line = await readFile(join(dir, "store.key"), "utf8");
  const match = /^tessera-store-key 1 file ([A-Za-z0-9+/=]+)\n$/.exec(line);
  assert.ok(match, line);
  assert.equal(Buffer.from(match[1] ?? "", "base64").length, 32);
  assert.equal((await stat(join(dir, "store.key"))).mode & 0o777, 0o600);
  // A second directory gets its own key.
  const other = await freshDir();
  await mustOpen(other);
  assert.notEqual(await readFile(join(other, "store.key"), "utf8"), line);
});

test("20 processes creating the store at once end with one key and readable data from all", async () => {
  const dir = join(root, "race", "identity");
  const answers = await Promise.all(
    Array.from({ length: 20 }, () =>
      runStoreChild({ action: "append", dir, issuer: ISSUER, clientId: CLIENT_ID }),
    ),
  );
  for (const answer of answers) assert.equal(answer.ok, true, answer.message);
  // Each update saw all before it: 1..20 in some order, so every process sealed with one key.
  assert.deepEqual(
    answers.map((answer) => answer.value).sort((a, b) => Number(a) - Number(b)),
    [...Array.from({ length: 20 }, (_, index) => index + 1)],
  );
  const read = await (await mustOpen(dir)).read();
  assert.equal(read.ok && new Set(read.value?.profile?.claims.pids as number[]).size, 20);
  const files = await readdir(dir);
  assert.deepEqual(
    files.filter((name) => name.startsWith("store.key")),
    ["store.key"],
  );
  assert.equal(files.filter((name) => name.endsWith(".tmp") || name.endsWith(".probe")).length, 0);
});

test("the key is read once: the open store keeps working when the key file is gone", async () => {
  const dir = await freshDir();
  const store = await mustOpen(dir);
  await rm(join(dir, "store.key"));
  await put(store, session(2));
  assert.deepEqual(await store.read(), { ok: true, value: session(2) });
});

test("a replaced key file no longer opens the store: InvalidSharedMemoryData, discarded, never a crash", async () => {
  const dir = await freshDir();
  await put(await mustOpen(dir), session(7));
  await writeFile(join(dir, "store.key"), keyLine(randomBytes(32)), { mode: 0o600 });
  const store = await mustOpen(dir);
  const read = observe(await store.read(), "store sealed with another key");
  assert.equal(read.ok ? 0 : read.status, IdentityStatusCode.InvalidSharedMemoryData);
  assert.deepEqual(await store.read(), { ok: true, value: undefined });
  await put(store, session(8));
  assert.deepEqual(await store.read(), { ok: true, value: session(8) });
});

test("a damaged key file is replaced by a new key, and what the old one sealed is discarded", async () => {
  for (const damaged of [
    "",
    "garbage",
    "tessera-store-key 1 file c2hvcnQ=",
    "tessera-store-key 1 vault x",
    keyLine(randomBytes(32)).replace("1 file", "1 file x"),
  ]) {
    const dir = await freshDir();
    await put(await mustOpen(dir), session(7));
    await writeFile(join(dir, "store.key"), damaged, { mode: 0o600 });
    const store = await mustOpen(dir);
    assert.match(
      await readFile(join(dir, "store.key"), "utf8"),
      /^tessera-store-key 1 file [A-Za-z0-9+/=]{44}\n$/,
    );
    const read = observe(await store.read(), "store after a damaged key file");
    assert.equal(read.ok ? 0 : read.status, IdentityStatusCode.InvalidSharedMemoryData, damaged);
    assert.deepEqual(await store.read(), { ok: true, value: undefined });
  }
});

test("a key kept in an unreachable OS credential store fails closed with ReadDataFromSharedMemoryFailed", async () => {
  const dir = await freshDir();
  const reference = "tessera-store-key 1 secret-service 2f0c1c3e-0000-4000-8000-000000000000\n";
  await writeFile(join(dir, "store.key"), reference, { mode: 0o600 });
  const opened = observe(await openStore(dir), "store key in an unreachable credential store");
  assert.equal(opened.ok ? 0 : opened.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed);
  assert.match(opened.ok ? "" : opened.message, /OS credential store/);
  // The reference is kept: the keyring may be reachable again in the next session.
  assert.equal(await readFile(join(dir, "store.key"), "utf8"), reference);
});

test("an unreadable key file (a directory) is ReadDataFromSharedMemoryFailed", async () => {
  const dir = await freshDir();
  await mkdir(join(dir, "store.key"));
  const opened = observe(await openStore(dir), "store key file is a directory");
  assert.equal(opened.ok ? 0 : opened.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed);
});
