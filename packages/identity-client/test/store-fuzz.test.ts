import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import fc from "fast-check";
import { emptySession } from "../src/session/session-data.ts";
import { seal } from "../src/store/sealed-record.ts";
import type { SessionStore } from "../src/store/session-store.ts";
import {
  CLIENT_ID,
  ISSUER,
  mustOpen,
  observe,
  openStore,
  storeRootForFile,
} from "./helpers/store-fixtures.ts";

/** Whatever lies in the store's files, reading never throws and answers one of the store's codes. */
const { root } = storeRootForFile();
let store: SessionStore;
let key: Buffer;
before(async () => {
  store = await mustOpen(root);
  key = Buffer.from(
    (await readFile(join(root, "store.key"), "utf8")).trim().split(" ").at(-1) ?? "",
    "base64",
  );
});

const magic = Buffer.from("TSS1");
const fileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  // Past the format's magic, so the nonce, tag and cipher text are what is random.
  fc.uint8Array({ minLength: 0, maxLength: 512 }).map((bytes) => Buffer.concat([magic, bytes])),
);

test("random bytes as the store file never throw: InvalidSharedMemoryData, then nobody signed in", async () => {
  await fc.assert(
    fc.asyncProperty(fileBytes, async (bytes) => {
      await writeFile(store.path, bytes);
      const read = observe(await store.read(), "store file of random bytes");
      assert.equal(read.ok ? 0 : read.status, IdentityStatusCode.InvalidSharedMemoryData);
      assert.deepEqual(await store.read(), { ok: true, value: undefined });
    }),
    { numRuns: 300 },
  );
});

test("any JSON sealed with the right key is a valid record or InvalidSharedMemoryData, never a throw", async () => {
  const record = fc.oneof(
    fc.jsonValue(),
    fc.record({
      version: fc.jsonValue(),
      issuer: fc.constantFrom(ISSUER, "x"),
      clientId: fc.constantFrom(CLIENT_ID, "y"),
      generation: fc.jsonValue(),
    }),
  );
  await fc.assert(
    fc.asyncProperty(record, async (value) => {
      await writeFile(store.path, seal(key, `${ISSUER}\n${CLIENT_ID}`, JSON.stringify(value) ?? "null"));
      const read = await store.read();
      if (read.ok) assert.equal(read.value?.version, 1);
      else assert.equal(read.status, IdentityStatusCode.InvalidSharedMemoryData);
    }),
    { numRuns: 300 },
  );
  await writeFile(
    store.path,
    seal(key, `${ISSUER}\n${CLIENT_ID}`, JSON.stringify(emptySession(ISSUER, CLIENT_ID))),
  );
  assert.deepEqual(await store.read(), { ok: true, value: emptySession(ISSUER, CLIENT_ID) });
});

test("random bytes as the key file never throw: the store opens with a new key or answers a store code", async () => {
  const codes = new Set<IdentityStatusCode>([
    IdentityStatusCode.ReadDataFromSharedMemoryFailed,
    IdentityStatusCode.InvalidSharedMemoryData,
  ]);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.string().map((text) => Buffer.from(`tessera-store-key 1 ${text}`)),
      ),
      async (bytes) => {
        await writeFile(join(root, "store.key"), bytes);
        const opened = await openStore(root);
        if (!opened.ok) assert.ok(codes.has(opened.status), opened.message);
      },
    ),
    { numRuns: 200 },
  );
});
