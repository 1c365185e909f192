import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe as suite, test } from "node:test";
import { catalogs } from "../src/index.ts";
import { parseApiSeed, parseCredentialSeed, parseIdentitySeed, seedDir, seedFiles } from "./seed-parsers.ts";

const published = (id: "api" | "identity" | "credential") =>
  catalogs[id].filter((info) => info.published).map((info) => ({ name: info.name, value: info.value }));

const byValue = (a: { value: number }, b: { value: number }) => a.value - b.value;

suite("the catalogs reproduce the published seeds", () => {
  test("API return codes: 109, value for value and name for name, in published order", () => {
    const seed = parseApiSeed();
    assert.equal(seed.length, 109);
    assert.deepEqual(published("api"), seed);
  });

  test("API return codes are exactly 0 and 9000–9108 without 9024", () => {
    const expected = [0, ...Array.from({ length: 109 }, (_, i) => 9000 + i).filter((v) => v !== 9024)];
    assert.deepEqual(
      published("api").map((c) => c.value),
      expected,
    );
  });

  test("identity status codes: 27, value for value and name for name", () => {
    const seed = parseIdentitySeed();
    assert.equal(seed.length, 27);
    assert.deepEqual(published("identity").sort(byValue), seed.sort(byValue));
    assert.deepEqual(
      catalogs.identity.map((c) => c.value),
      [-1, 0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28],
    );
  });

  test("credential statuses: 24, value for value and name for name, 205 keeping the name Pending", () => {
    const seed = parseCredentialSeed();
    assert.equal(seed.length, 24);
    assert.deepEqual(published("credential"), seed);
    assert.deepEqual(
      catalogs.credential.map((c) => c.value),
      [
        100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 401, 403, 405, 406, 408, 409, 410, 411, 413,
        500, 501, 504, 509,
      ],
    );
  });

  test("the vendored seeds are identical to ../shared/seeds when that folder is present", (t) => {
    const shared = new URL("../../../../shared/seeds/", import.meta.url);
    if (!existsSync(shared)) {
      t.diagnostic("../shared/seeds is not beside this checkout; compared the vendored copies only");
      return;
    }
    for (const file of Object.values(seedFiles)) {
      assert.equal(
        readFileSync(new URL(file, seedDir), "utf8"),
        readFileSync(new URL(file, shared), "utf8"),
        file,
      );
    }
  });
});
