import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { CLIENT_ID, ISSUER, runStoreChild, storeRootForFile } from "./helpers/store-fixtures.ts";
import { ensureKeyringTools, inKeyringSession } from "./helpers/store-keyring.ts";

/** The store's key in a real OS credential store: GNOME Keyring over D-Bus, through secret-tool. */
before(() => ensureKeyringTools());
const { root } = storeRootForFile();

test("with a reachable Secret Service the key lives in the keyring: the key file holds only a reference", async () => {
  const home = join(root, "home");
  await mkdir(home, { mode: 0o700 });
  const dir = join(root, "store");
  const request = { action: "append", dir, issuer: ISSUER, clientId: CLIENT_ID };
  const first = await runStoreChild(request, inKeyringSession(home));
  assert.deepEqual(first, { ok: true, value: 1 });
  const line = await readFile(join(dir, "store.key"), "utf8");
  assert.match(line, /^tessera-store-key 1 secret-service [0-9a-f-]{36}\n$/);
  // A new session of the same user (its keyring unlocked again) finds the key and opens the record.
  const second = await runStoreChild(request, inKeyringSession(home));
  assert.deepEqual(second, { ok: true, value: 2 });
  // Without the keyring the store does not open (the copy-of-the-directory case): it fails closed
  // and keeps the reference for a session in which the keyring is back.
  const bus = `unix:path=${join(root, "no-bus")}`;
  const offline = await runStoreChild(request, { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus } });
  recordObservedCode("identity", offline.status ?? 0, "store key in a keyring that is not reachable");
  assert.equal(offline.status, IdentityStatusCode.ReadDataFromSharedMemoryFailed, offline.message);
  assert.equal(await readFile(join(dir, "store.key"), "utf8"), line);
  assert.deepEqual(await runStoreChild(request, inKeyringSession(home)), { ok: true, value: 3 });
});
