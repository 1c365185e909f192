import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderStatusCodes } from "../src/docs/render-status-codes.ts";
import { catalogs } from "../src/index.ts";

const docPath = new URL("../../../docs/status-codes.md", import.meta.url);

test("docs/status-codes.md is exactly what the catalog generates (run npm run docs:codes)", () => {
  assert.equal(readFileSync(docPath, "utf8"), renderStatusCodes());
});

test("the reference lists every code of every catalog once", () => {
  const doc = renderStatusCodes();
  for (const info of [...catalogs.api, ...catalogs.identity, ...catalogs.credential]) {
    const rows = doc.split("\n").filter((line) => line.startsWith(`| ${info.value} | \`${info.name}\``));
    assert.equal(rows.length, info.value === 0 ? 2 : 1, `${info.catalog} ${info.value}`);
  }
});
